import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@umd/core';
import { UmdModel } from '@umd/encoders';

/** The parameter groups the teacher copies from the student (its fusion and heads are never used). */
const followedPrefixes = ['vision.', 'text.'] as const;

/**
 * EMA momentum at optimizer step `step` of `totalSteps` (cosine, BYOL): m = end − (end − start)·(cos(π·k/K) + 1)/2
 * with k = min(step, K); `start` at step 0, `end` at the last step.
 */
export function teacherMomentumAt(step: number, totalSteps: number, schedule: { readonly start: number; readonly end: number }): number {
  const progress = totalSteps > 0 ? Math.min(Math.max(step, 0), totalSteps) / totalSteps : 1;
  return schedule.end - ((schedule.end - schedule.start) * (Math.cos(Math.PI * progress) + 1)) / 2;
}

/**
 * The momentum teacher of L_FeaMIM/L_FeaMLM: a second {@link UmdModel} of the student's config whose `vision.` and
 * `text.` weights start as copies of the student's and then follow them, t ← m·t + (1 − m)·s. It never receives
 * gradients and has no optimizer state. Its `fusion.` and `heads.` weights exist (it is a whole UmdModel) but are
 * never read.
 *
 * Ownership: the teacher owns its model's variables; `dispose()` frees them. The student is borrowed.
 */
export class EmaTeacher {
  readonly model: UmdModel;
  private readonly pairs: { readonly teacher: tf.Variable; readonly student: tf.Variable }[] = [];

  constructor(student: UmdModel) {
    // Initial values are overwritten by the copy below; the seed only fills the unused fusion weights.
    this.model = new UmdModel(student.config, new SeededRandom('mr-pretrain/ema-teacher'));
    const studentParameters = student.parameterMap();
    for (const [name, teacher] of this.model.parameterMap()) {
      if (!followedPrefixes.some((prefix) => name.startsWith(prefix))) continue;
      const source = studentParameters.get(name);
      if (source === undefined) continue;
      this.pairs.push({ teacher, student: source });
      teacher.assign(source);
    }
  }

  /** Number of followed parameters (those named `vision.…` and `text.…`). */
  get followed(): number {
    return this.pairs.length;
  }

  /** One EMA step with momentum `momentum` in [0, 1]: t ← m·t + (1 − m)·s, for every followed parameter. */
  update(momentum: number): void {
    tf.tidy('mr-pretrain/ema-update', () => {
      const m = tf.scalar(momentum);
      const oneMinusM = tf.scalar(1 - momentum);
      for (const { teacher, student } of this.pairs) teacher.assign(tf.add(tf.mul(teacher, m), tf.mul(student, oneMinusM)));
    });
  }

  dispose(): void {
    this.model.dispose();
    this.pairs.length = 0;
  }
}
