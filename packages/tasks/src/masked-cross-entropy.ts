import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, ShapeMismatchError } from '@umd/core';

/** Options of {@link maskedCrossEntropy}. */
export interface MaskedCrossEntropyOptions {
  /**
   * Label smoothing ε in [0, 1): the target of a valid sample becomes (1 − ε)·one-hot + ε/K on every class (Szegedy et
   * al.), so the loss is (1 − ε)·CE + ε·mean over the K classes of −log p. Default 0: plain cross-entropy.
   */
  readonly smoothing?: number;
}

/**
 * Softmax cross-entropy of logits [B, K] against class indices `targets` [B], averaged over the samples whose target
 * is a class (≥ 0); samples with target −1 (a VQA answer outside the vocabulary) add nothing, to the value or the
 * gradient. With no valid sample the loss is 0. Returns a scalar the caller owns; inputs are borrowed.
 *
 * @throws ShapeMismatchError when targets is not [B]; InvalidConfigError for a smoothing outside [0, 1)
 */
export function maskedCrossEntropy(logits: tf.Tensor, targets: Int32Array, options: MaskedCrossEntropyOptions = {}): tf.Scalar {
  const [B, K] = logits.shape as [number, number];
  if (logits.rank !== 2 || targets.length !== B) throw new ShapeMismatchError('maskedCrossEntropy(targets)', [B], [targets.length]);
  const smoothing = options.smoothing ?? 0;
  if (!(smoothing >= 0 && smoothing < 1)) throw new InvalidConfigError('smoothing', smoothing, 'a number in [0, 1) (0 = none)');
  const valid = Float32Array.from(targets, (target) => (target >= 0 && target < K ? 1 : 0));
  const count = valid.reduce((sum, value) => sum + value, 0);
  return tf.tidy('tasks/masked-cross-entropy', () => {
    const classes = tf.tensor1d(Int32Array.from(targets, (target) => (target >= 0 && target < K ? target : 0)), 'int32');
    const weights = tf.tensor2d(valid, [B, 1]); // [B, 1]: 1 = counts
    const oneHot = tf.mul(tf.oneHot(classes, K), weights); // [B, K]
    // [B, K]: (1 − ε)·one-hot + ε/K, 0 rows for −1; ε = 0 keeps the one-hot itself (bit-identical to no smoothing)
    const target = smoothing === 0 ? oneHot : tf.add(tf.mul(oneHot, 1 - smoothing), tf.mul(weights, smoothing / K));
    return tf.div(tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)))), Math.max(1, count)) as tf.Scalar;
  });
}
