import * as tf from '@tensorflow/tfjs-core';

import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { assignGroups, type ParameterGroups } from './parameter-groups.js';

/** The signals of one modality, as `Coordinator.update` takes them. */
export interface ModalitySignals {
  /** OGM-GE's score: Σ over the counted samples of the true-class probability. */
  readonly score: number;
  /** Mean cross-entropy over the counted samples. */
  readonly loss: number;
  /** The modality's gradient RMS (only when gradients were given). */
  readonly gradientNorm?: number;
}

/** Options of {@link signalTensor}. */
export interface SignalTensorOptions {
  /** The step's gradients and the modality groups: adds each modality's gradient RMS. Borrowed. */
  readonly gradients?: tf.NamedTensorMap;
  readonly groups?: ParameterGroups;
}

/**
 * Every modality's signals packed in one tensor, with no read-back, for training steps that read back once (call it
 * inside the step's tidy, then {@link readSignals}). Per modality, in the order of `logits`' keys: score, loss and,
 * with `gradients`, the gradient RMS (‖g‖₂ / √n over the modality's group). Samples whose label is −1 (class indices,
 * e.g. a VQA answer outside the vocabulary) or whose target row is all zeros count nowhere; the loss is the mean over
 * the counted ones (0 when none counts).
 *
 * @param logits modality → [B, K] unimodal logits (`unimodalLogits`, `shapleyLogits`)
 * @param labels [B] class indices (−1 = not counted), or [B, K] one-hot / soft targets
 * @returns [M · (2 or 3)] float32, owned by the caller
 */
export function signalTensor(logits: Readonly<Record<string, tf.Tensor2D>>, labels: tf.Tensor, options: SignalTensorOptions = {}): tf.Tensor1D {
  const modalities = Object.keys(logits);
  const { gradients, groups } = options;
  const names = gradients ? Object.keys(gradients) : [];
  const assignment = gradients && groups ? assignGroups(names, groups, modalities) : undefined;
  return tf.tidy('gm-coord/signal-tensor', () =>
    tf.concat(
      modalities.map((modality) => {
        const z = logits[modality] as tf.Tensor2D;
        const targets = targetsFor(z, labels, 'signalTensor'); // [B, K]
        const counted = tf.maximum(tf.sum(targets), 1);
        const values = [tf.sum(tf.mul(tf.softmax(z), targets)), tf.div(tf.neg(tf.sum(tf.mul(tf.logSoftmax(z), targets))), counted)];
        if (gradients && assignment) {
          values.push(gradientRms(names.filter((name) => assignment.get(name) === modality).map((name) => gradients[name] as tf.Tensor)));
        }
        return tf.stack(values) as tf.Tensor1D;
      }),
    ),
  );
}

/** Unpacks {@link signalTensor}'s values (read back by the caller) into per-modality signals. */
export function readSignals(values: ArrayLike<number>, modalities: readonly string[], withGradients: boolean): Record<string, ModalitySignals> {
  const width = withGradients ? 3 : 2;
  if (values.length !== width * modalities.length) throw new ShapeMismatchError('readSignals(values)', [width * modalities.length], [values.length]);
  return Object.fromEntries(
    modalities.map((modality, m) => [
      modality,
      { score: values[width * m]!, loss: values[width * m + 1]!, ...(withGradients ? { gradientNorm: values[width * m + 2]! } : {}) },
    ]),
  );
}

/**
 * Labels as class indices [B] (any numeric dtype; −1 gives a zero row) or one-hot / soft targets [B, K], against
 * logits [B, K]. Returns targets [B, K] float32.
 */
export function targetsFor(logits: tf.Tensor, labels: tf.Tensor, caller: string): tf.Tensor2D {
  const [B, K] = logits.shape;
  if (logits.rank !== 2 || B === undefined || K === undefined) throw new ShapeMismatchError(`${caller}(logits)`, ['B', 'K'], logits.shape);
  if (labels.rank === 1 && labels.shape[0] === B) return tf.cast(tf.oneHot(tf.cast(labels, 'int32'), K), 'float32') as tf.Tensor2D;
  if (labels.rank === 2 && labels.shape[0] === B && labels.shape[1] === K) return tf.cast(labels, 'float32') as tf.Tensor2D;
  throw new ShapeMismatchError(`${caller}(labels)`, [B], labels.shape, `Pass class indices [${B}] or one-hot targets [${B}, ${K}].`);
}

/** ‖g‖₂ / √n over every element of `gradients` (0 for none): RMS, so encoders of different sizes compare. */
export function gradientRms(gradients: readonly tf.Tensor[]): tf.Scalar {
  const size = gradients.reduce((total, tensor) => total + tensor.size, 0);
  return (gradients.length === 0 ? tf.scalar(0) : tf.sqrt(tf.div(tf.addN(gradients.map((tensor) => tf.sum(tf.square(tensor)))), size))) as tf.Scalar;
}
