import * as tf from '@tensorflow/tfjs-core';

import type { SeededRandom } from '../random/seeded-random.js';
import { defaultInitializer, initTensor, type Initializer } from './init.js';
import { Module } from './module.js';

export interface LinearOptions {
  /** Add a bias (default true). */
  readonly bias?: boolean;
  /** Weight initialiser (default truncated normal, std 0.02). The bias starts at zero. */
  readonly init?: Initializer;
}

/**
 * y = x·W + b. Parameters: `weight` [Din, Dout] (tfjs layout; a PyTorch `nn.Linear.weight` is its transpose),
 * `bias` [Dout] (no weight decay).
 */
export class Linear extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    random: SeededRandom,
    options: LinearOptions = {},
  ) {
    super();
    this.weight = this.addParameter('weight', initTensor([inFeatures, outFeatures], options.init ?? defaultInitializer, random));
    this.bias = options.bias === false ? undefined : this.addParameter('bias', tf.zeros([outFeatures]), { weightDecay: false });
  }

  /** x [..., Din] -> [..., Dout]. Leading dimensions are flattened into one matMul (fast and 2-D gradients). */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy('nn/linear', () => {
      const leading = x.shape.slice(0, -1);
      const flat = x.rank === 2 ? x : tf.reshape(x, [-1, this.inFeatures]); // [B·T, Din]
      const y = tf.matMul(flat, this.weight);
      const biased = this.bias ? tf.add(y, this.bias) : y;
      return x.rank === 2 ? biased : tf.reshape(biased, [...leading, this.outFeatures]);
    });
  }
}
