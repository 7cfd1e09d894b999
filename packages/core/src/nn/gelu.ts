import * as tf from '@tensorflow/tfjs-core';

/**
 * GELU with the exact erf form, x·Φ(x) = 0.5·x·(1 + erf(x/√2)) (PyTorch's default). The tanh approximation uses
 * `pow(x, 3)`, which cost ~10% of a training step on wasm; erf has a kernel and a cheap gradient there.
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy('nn/gelu', () => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}
