import * as tf from '@tensorflow/tfjs-core';

/** x [B, N, D], mask [B, N] (1 = real) or none -> [B, D], the mean over the real positions. */
export function maskedMean(x: tf.Tensor3D, mask: tf.Tensor | undefined): tf.Tensor2D {
  if (!mask) return tf.mean(x, 1);
  const weights = tf.expandDims(tf.cast(mask, 'float32'), 2); // [B, N, 1]
  return tf.div(tf.sum(tf.mul(x, weights), 1), tf.maximum(tf.sum(weights, 1), 1)) as tf.Tensor2D;
}
