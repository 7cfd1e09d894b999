import * as tf from '@tensorflow/tfjs-core';

import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';

/**
 * What a row of logits is scored against: class indices ([N]; −1 or any index outside [0, K) = not counted, to the
 * value or the gradient), or target distributions ([N, K]: one-hot, smoothed or soft rows; an all-zero row is not
 * counted).
 */
export type CrossEntropyTargets = { readonly classes: ArrayLike<number> | tf.Tensor } | { readonly distributions: tf.Tensor };

/** Options of {@link softmaxCrossEntropy}. */
export interface SoftmaxCrossEntropyOptions {
  /**
   * Label smoothing ε in [0, 1) for class targets (Szegedy et al.): a counted row's target becomes (1 − ε)·one-hot +
   * ε/K, so its loss is (1 − ε)·(−log p_y) + ε·mean over the K classes of −log p. Default 0.
   */
  readonly smoothing?: number;
}

/**
 * Softmax cross-entropy of `logits` [N, K], averaged over the counted rows (0 when none counts): the one
 * implementation the task heads, MLM, ITM and the contrastive losses use. Class targets are picked with one gather
 * over the flattened [N·K] log-probabilities (no [N, K] one-hot, which matters for MLM's vocabulary); distributions
 * are multiplied in. Returns a scalar the caller owns; inputs are borrowed.
 *
 * @throws ShapeMismatchError when the logits are not [N, K] or the targets do not match N (and K);
 *   InvalidConfigError for a smoothing outside [0, 1), or smoothing with distributions
 */
export function softmaxCrossEntropy(logits: tf.Tensor, targets: CrossEntropyTargets, options: SoftmaxCrossEntropyOptions = {}): tf.Scalar {
  const [N, K] = logits.shape as [number, number];
  if (logits.rank !== 2) throw new ShapeMismatchError('softmaxCrossEntropy(logits)', ['N', 'K'], logits.shape);
  const smoothing = options.smoothing ?? 0;
  if (!(smoothing >= 0 && smoothing < 1)) throw new InvalidConfigError('smoothing', smoothing, 'a number in [0, 1) (0 = none)');
  if ('distributions' in targets) {
    const { distributions } = targets;
    if (distributions.rank !== 2 || distributions.shape[0] !== N || distributions.shape[1] !== K) {
      throw new ShapeMismatchError('softmaxCrossEntropy(distributions)', [N, K], distributions.shape);
    }
    if (smoothing !== 0) throw new InvalidConfigError('smoothing', smoothing, '0 with target distributions (smooth them yourself)');
    return tf.tidy('core/softmax-cross-entropy', () => {
      const counted = tf.sum(tf.cast(tf.greater(tf.sum(distributions, 1), 0), 'float32'));
      return tf.div(tf.neg(tf.sum(tf.mul(distributions, tf.logSoftmax(logits)))), tf.maximum(counted, 1)) as tf.Scalar;
    });
  }
  const { classes } = targets;
  const length = classes instanceof tf.Tensor ? classes.size : classes.length;
  if (length !== N || (classes instanceof tf.Tensor && classes.rank !== 1)) {
    throw new ShapeMismatchError('softmaxCrossEntropy(classes)', [N], classes instanceof tf.Tensor ? classes.shape : [length]);
  }
  return tf.tidy('core/softmax-cross-entropy', () => {
    const indices = classes instanceof tf.Tensor ? tf.cast(classes, 'int32') : tf.tensor1d(Int32Array.from(classes as ArrayLike<number>), 'int32');
    const valid = tf.logicalAnd(tf.greaterEqual(indices, 0), tf.less(indices, K)); // [N]
    const weights = tf.cast(valid, 'float32');
    const safe = tf.where(valid, indices, tf.zerosLike(indices)); // outside rows pick class 0, weighted 0
    const logProbabilities = tf.logSoftmax(logits); // [N, K]
    const rows = tf.mul(tf.range(0, N, 1, 'int32'), tf.scalar(K, 'int32'));
    const picked = tf.gather(tf.reshape(logProbabilities, [N * K]), tf.add(rows, safe)); // [N] log p_y
    let perRow = tf.neg(picked); // [N]
    if (smoothing !== 0) perRow = tf.add(tf.mul(perRow, 1 - smoothing), tf.mul(tf.neg(tf.mean(logProbabilities, 1)), smoothing));
    return tf.div(tf.sum(tf.mul(perRow, weights)), tf.maximum(tf.sum(weights), 1)) as tf.Scalar;
  });
}
