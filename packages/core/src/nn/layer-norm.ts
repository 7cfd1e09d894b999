import * as tf from '@tensorflow/tfjs-core';

import { fusedLayerNorm, fusedLayerNormAvailable } from './layer-norm-kernel.js';
import { Module } from './module.js';

/**
 * Layer normalisation over the last dimension. Parameters `weight` (ones) and `bias` (zeros), no weight decay. On
 * wasm and cpu after `initRuntime`, one fused kernel forward and two backward (`layer-norm-kernel.ts`); elsewhere op
 * by op (the reference the fused kernels are tested against).
 */
export class LayerNorm extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  /** @param epsilon 1e-5 (PyTorch default); BERT checkpoints use 1e-12 */
  constructor(
    readonly dim: number,
    readonly epsilon = 1e-5,
  ) {
    super();
    this.weight = this.addParameter('weight', tf.ones([dim]), { weightDecay: false });
    this.bias = this.addParameter('bias', tf.zeros([dim]), { weightDecay: false });
  }

  /** x [..., D] -> [..., D] */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy('nn/layer-norm', () => {
      if (x.dtype === 'float32' && fusedLayerNormAvailable()) return fusedLayerNorm(x, this.weight, this.bias, this.epsilon);
      const centered = tf.sub(x, tf.mean(x, -1, true));
      const variance = tf.mean(tf.mul(centered, centered), -1, true);
      const normalised = tf.mul(centered, tf.rsqrt(tf.add(variance, this.epsilon)));
      return tf.add(tf.mul(normalised, this.weight), this.bias);
    });
  }
}
