import * as tf from '@tensorflow/tfjs-core';

import type { SeededRandom } from '../random/seeded-random.js';
import { gelu } from './gelu.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

/** The MLP's non-linearity: erf-GELU (BERT, ViT, RoBERTa) or quick-GELU, x·σ(1.702x) (OpenAI CLIP). */
export type Activation = 'gelu' | 'quick-gelu';

/** The transformer feed-forward: `fc1` (D -> hidden), activation (default erf-GELU), `fc2` (hidden -> D). */
export class Mlp extends Module {
  private readonly fc1: Linear;
  private readonly fc2: Linear;

  constructor(
    dim: number,
    hidden: number,
    random: SeededRandom,
    readonly activation: Activation = 'gelu',
  ) {
    super();
    this.fc1 = this.addModule('fc1', new Linear(dim, hidden, random));
    this.fc2 = this.addModule('fc2', new Linear(hidden, dim, random));
  }

  /** x [..., D] -> [..., D] */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy('nn/mlp', () => {
      const hidden = this.fc1.forward(x);
      const activated = this.activation === 'gelu' ? gelu(hidden) : tf.mul(hidden, tf.sigmoid(tf.mul(hidden, 1.702)));
      return this.fc2.forward(activated);
    });
  }
}
