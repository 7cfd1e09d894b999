import * as tf from '@tensorflow/tfjs-core';

import { InvalidConfigError } from '../errors/invalid-config-error.js';
import type { SeededRandom } from '../random/seeded-random.js';
import { Module } from './module.js';

/**
 * Inverted dropout: while training, zeroes each element with probability `rate` and scales the rest by 1/(1-rate);
 * the identity in eval mode. Masks are drawn with seeds from the injected generator, so a seed reproduces a run.
 */
export class Dropout extends Module {
  constructor(
    readonly rate: number,
    private readonly random: SeededRandom,
  ) {
    super();
    if (!(rate >= 0 && rate < 1)) throw new InvalidConfigError('dropout', rate, 'a number in [0, 1)');
  }

  /** x [...] -> [...] (same shape) */
  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.rate === 0) return tf.clone(x);
    const seed = this.random.opSeed();
    return tf.tidy('nn/dropout', () => {
      const keep = tf.cast(tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', seed), this.rate), 'float32');
      return tf.mul(x, tf.mul(keep, 1 / (1 - this.rate)));
    });
  }
}
