import * as tf from '@tensorflow/tfjs-core';

import { fusedGelu, fusedGeluAvailable } from './gelu-kernel.js';

/**
 * GELU with the exact erf form, x·Φ(x) = 0.5·x·(1 + erf(x/√2)) (PyTorch's default). The tanh approximation uses
 * `pow(x, 3)`, which cost ~10% of a training step on wasm; erf has a kernel and a cheap gradient there. On wasm with
 * the native addon (after `initRuntime`), one fused kernel forward and one backward (`gelu-kernel.ts`); elsewhere op
 * by op (the reference the fused kernels are tested against).
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (x.dtype === 'float32' && fusedGeluAvailable()) return fusedGelu(x);
  return tf.tidy('nn/gelu', () => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}
