import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from '@umd/core';

/**
 * Softmax cross-entropy of logits [B, K] against class indices `targets` [B], averaged over the samples whose target
 * is a class (≥ 0); samples with target −1 (a VQA answer outside the vocabulary) add nothing, to the value or the
 * gradient. With no valid sample the loss is 0. Returns a scalar the caller owns; inputs are borrowed.
 *
 * @throws ShapeMismatchError when targets is not [B]
 */
export function maskedCrossEntropy(logits: tf.Tensor, targets: Int32Array): tf.Scalar {
  const [B, K] = logits.shape as [number, number];
  if (logits.rank !== 2 || targets.length !== B) throw new ShapeMismatchError('maskedCrossEntropy(targets)', [B], [targets.length]);
  const valid = Float32Array.from(targets, (target) => (target >= 0 && target < K ? 1 : 0));
  const count = valid.reduce((sum, value) => sum + value, 0);
  return tf.tidy('tasks/masked-cross-entropy', () => {
    const classes = tf.tensor1d(Int32Array.from(targets, (target) => (target >= 0 && target < K ? target : 0)), 'int32');
    const weights = tf.tensor2d(valid, [B, 1]); // [B, 1]: 1 = counts
    const oneHot = tf.mul(tf.oneHot(classes, K), weights); // [B, K]
    return tf.div(tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)))), Math.max(1, count)) as tf.Scalar;
  });
}
