import * as tf from '@tensorflow/tfjs-core';

import type { SeededRandom } from '../random/seeded-random.js';
import { defaultInitializer, initTensor, type Initializer } from './init.js';
import { Module } from './module.js';

/**
 * A lookup table: ids [...] int32 -> vectors [..., D]. Parameter `weight` [V, D].
 *
 * The lookup is `tf.gather`, whose gradient is a scatter-add (`UnsortedSegmentSum`), O(ids·D) — not a one-hot
 * matMul over the vocabulary. The wasm backend lacks that kernel; `initRuntime()` registers one.
 */
export class Embedding extends Module {
  readonly weight: tf.Variable;

  constructor(
    readonly count: number,
    readonly dim: number,
    random: SeededRandom,
    options: { readonly init?: Initializer; readonly weightDecay?: boolean } = {},
  ) {
    super();
    this.weight = this.addParameter('weight', initTensor([count, dim], options.init ?? defaultInitializer, random), {
      weightDecay: options.weightDecay ?? true,
    });
  }

  /** ids [...] int32 in [0, V) -> [..., D] */
  forward(ids: tf.Tensor): tf.Tensor {
    return tf.tidy('nn/embedding', () => {
      const flat = ids.rank === 1 ? ids : tf.reshape(ids, [-1]);
      const rows = tf.gather(this.weight, flat); // [N, D]
      return ids.rank === 1 ? rows : tf.reshape(rows, [...ids.shape, this.dim]);
    });
  }
}
