import * as tf from '@tensorflow/tfjs-core';

import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { Module } from '../nn/module.js';

/** Names may hold dots (`vision.block0.attn.qkv.weight`); a module's own parameter names may not. */
const encodeName = (name: string): string => name.replace(/_/g, '__').replace(/\./g, '_d_');

/**
 * An exponential moving average of a model's weights (Polyak averaging), the weights a run evaluates and keeps when it
 * averages: after each optimizer step, a ← d·a + (1 − d)·w with d = min(decay, (1 + t) / (10 + t)) at update t (the
 * warm-up keeps the first steps' weights from being averaged with the random start). A `Module`, so a run checkpoints
 * it as an extra module (`extra/<key>/…`) and resumes it exactly.
 *
 * `swap()` exchanges the averaged and the live weights (evaluate the average, then swap back to keep training).
 *
 * Ownership: owns its averaged copies; the model's variables are borrowed.
 */
export class WeightAverage extends Module {
  readonly decay: number;
  private readonly pairs: { readonly live: tf.Variable; readonly average: tf.Variable }[] = [];
  private readonly count: tf.Variable;

  /**
   * @param parameters the live weights by name (`model.parameterMap()`)
   * @param decay in [0, 1): 0.99–0.999 averages over the last ~100–1,000 steps
   * @throws InvalidConfigError for a decay outside [0, 1)
   */
  constructor(parameters: Map<string, tf.Variable>, decay: number) {
    super();
    if (!(decay >= 0 && decay < 1)) throw new InvalidConfigError('weightAverage.decay', decay, 'a number in [0, 1)');
    this.decay = decay;
    for (const [name, live] of parameters) this.pairs.push({ live, average: this.addParameter(encodeName(name), tf.clone(live)) });
    this.count = this.addParameter('updates', tf.scalar(0));
  }

  /** Updates seen so far (restored with the module's weights). */
  get updates(): number {
    return this.count.dataSync()[0]!;
  }

  /** One averaging step, after an optimizer step. */
  update(): void {
    tf.tidy(() => {
      const t = this.count;
      const d = tf.minimum(tf.scalar(this.decay), tf.div(tf.add(t, 1), tf.add(t, 10)));
      const oneMinusD = tf.sub(1, d);
      for (const { live, average } of this.pairs) average.assign(tf.add(tf.mul(average, d), tf.mul(live, oneMinusD)));
      this.count.assign(tf.add(t, 1));
    });
  }

  /** Exchanges the averaged and the live weights (twice restores them). */
  swap(): void {
    for (const { live, average } of this.pairs) {
      const kept = tf.clone(live);
      live.assign(average);
      average.assign(kept);
      kept.dispose();
    }
  }

  /** Runs `fn` with the averaged weights in the model, then puts the live ones back (also when `fn` throws). */
  async withAverage<T>(fn: () => Promise<T>): Promise<T> {
    this.swap();
    try {
      return await fn();
    } finally {
      this.swap();
    }
  }
}
