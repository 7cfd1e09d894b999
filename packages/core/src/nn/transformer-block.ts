import * as tf from '@tensorflow/tfjs-core';

import type { SeededRandom } from '../random/seeded-random.js';
import { Dropout } from './dropout.js';
import { LayerNorm } from './layer-norm.js';
import { Mlp, type Activation } from './mlp.js';
import { Module } from './module.js';
import { MultiHeadAttention, type AttentionInputs } from './multi-head-attention.js';

export interface TransformerBlockConfig {
  /** Model width D. */
  readonly dim: number;
  /** Attention heads H (D must be divisible by H). */
  readonly heads: number;
  /** Hidden width of the MLP (ViT/BERT: 4·D). */
  readonly mlpDim: number;
  /** Dropout after attention and MLP, and on attention weights (default 0). */
  readonly dropout?: number;
  /** LayerNorm epsilon (default 1e-5; BERT weights use 1e-12, CLIP 1e-5). */
  readonly layerNormEpsilon?: number;
  /**
   * Where the LayerNorms sit (default `'pre'`, ViT/CLIP): `x + f(norm(x))`. `'post'` is BERT/RoBERTa's layout:
   * `norm(x + f(x))`, needed to run their pre-trained weights faithfully.
   */
  readonly normPlacement?: 'pre' | 'post';
  /** MLP activation (default erf-GELU; OpenAI CLIP weights use quick-GELU). */
  readonly activation?: Activation;
}

/**
 * A transformer block. Pre-LN (default): x + drop(attn(norm1(x))), then x + drop(mlp(norm2(x))).
 * Post-LN (BERT): norm1(x + drop(attn(x))), then norm2(x + drop(mlp(x))).
 * Parameters: `norm1`, `attn` (`qkv`, `proj`), `norm2`, `mlp` (`fc1`, `fc2`).
 */
export class TransformerBlock extends Module {
  private readonly norm1: LayerNorm;
  private readonly attn: MultiHeadAttention;
  private readonly norm2: LayerNorm;
  private readonly mlp: Mlp;
  private readonly dropout: Dropout;

  constructor(
    readonly config: TransformerBlockConfig,
    random: SeededRandom,
  ) {
    super();
    const epsilon = config.layerNormEpsilon ?? 1e-5;
    const rate = config.dropout ?? 0;
    this.norm1 = this.addModule('norm1', new LayerNorm(config.dim, epsilon));
    this.attn = this.addModule('attn', new MultiHeadAttention({ dim: config.dim, heads: config.heads, attentionDropout: rate }, random));
    this.norm2 = this.addModule('norm2', new LayerNorm(config.dim, epsilon));
    this.mlp = this.addModule('mlp', new Mlp(config.dim, config.mlpDim, random, config.activation));
    this.dropout = this.addModule('dropout', new Dropout(rate, random));
  }

  /** x [B, T, D], optional key padding mask [B, T] (1 = real) -> [B, T, D] */
  forward(x: tf.Tensor, inputs: Pick<AttentionInputs, 'keyPaddingMask'> = {}): tf.Tensor {
    return tf.tidy('nn/transformer-block', () => {
      if (this.config.normPlacement === 'post') {
        const attended = this.norm1.forward(tf.add(x, this.dropout.forward(this.attn.forward(x, inputs))));
        return this.norm2.forward(tf.add(attended, this.dropout.forward(this.mlp.forward(attended))));
      }
      const attended = tf.add(x, this.dropout.forward(this.attn.forward(this.norm1.forward(x), inputs)));
      return tf.add(attended, this.dropout.forward(this.mlp.forward(this.norm2.forward(attended))));
    });
  }
}
