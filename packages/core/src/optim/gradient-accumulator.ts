import * as tf from '@tensorflow/tfjs-core';

import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import type { NamedTensors } from '../nn/module.js';

/**
 * Sums gradients over micro-batches (gradient accumulation, nanoGPT's `gradient_accumulation_steps`):
 * `add()` each micro-batch's gradients, then take `mean()` for the optimizer and `reset()` for the next step.
 *
 * A name missing from some micro-batches counts as a zero gradient there, so `mean()` is the gradient of the mean loss
 * over all `count` micro-batches.
 *
 * Ownership: the accumulator owns its running sums and frees them in `reset()` / `dispose()`.
 */
export class GradientAccumulator {
  private sums = new Map<string, tf.Tensor>();
  private added = 0;

  /** Number of `add()` calls since the last `reset()`. */
  get count(): number {
    return this.added;
  }

  /**
   * Adds one micro-batch's gradients to the running sums.
   *
   * @param grads gradients keyed by parameter name; borrowed (not disposed). A name seen before must keep its shape.
   */
  add(grads: NamedTensors): void {
    for (const name in grads) {
      const gradient = grads[name];
      const sum = this.sums.get(name);
      if (gradient !== undefined && sum !== undefined && !tf.util.arraysEqual(gradient.shape, sum.shape)) {
        throw new ShapeMismatchError(`GradientAccumulator.add(grads['${name}'])`, sum.shape, gradient.shape);
      }
    }
    tf.tidy('optim/gradient-accumulator', () => {
      for (const name in grads) {
        const gradient = grads[name];
        if (gradient === undefined) continue;
        const sum = this.sums.get(name);
        const value = gradient.dtype === 'float32' ? gradient : tf.cast(gradient, 'float32');
        // clone: the sum must not share its lifetime with the caller's tensor.
        this.sums.set(name, tf.keep(sum === undefined ? tf.clone(value) : tf.add(sum, value)));
        sum?.dispose();
      }
    });
    this.added += 1;
  }

  /**
   * The mean gradient over the `count` micro-batches added so far.
   *
   * @returns new tensors keyed like the inputs, owned by the caller
   */
  mean(): NamedTensors {
    if (this.added === 0) {
      throw new InvalidConfigError('GradientAccumulator.count', 0, 'at least one add() before mean()');
    }
    return tf.tidy('optim/gradient-accumulator-mean', () => {
      const count = tf.scalar(this.added);
      const out: NamedTensors = {};
      for (const [name, sum] of this.sums) out[name] = tf.div(sum, count);
      return out;
    });
  }

  /** Frees the running sums and sets `count` to 0. */
  reset(): void {
    tf.dispose([...this.sums.values()]);
    this.sums = new Map();
    this.added = 0;
  }

  /** Frees every tensor held (same as `reset()`). */
  dispose(): void {
    this.reset();
  }
}
