import * as tf from '@tensorflow/tfjs-core';

import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import type { SeededRandom } from '../random/seeded-random.js';
import { fusedMaskedSoftmax, fusedMaskedSoftmaxAvailable } from './masked-softmax-kernel.js';
import { Dropout } from './dropout.js';
import { Linear } from './linear.js';
import { Module } from './module.js';

export interface MultiHeadAttentionOptions {
  readonly dim: number;
  readonly heads: number;
  /**
   * Width of the attended sequence for cross-attention. When set, queries come from `x` through `q` and keys/values
   * from `context` through `kv`; otherwise one fused `qkv` projection serves self-attention.
   */
  readonly contextDim?: number;
  /** Dropout on the attention weights (default 0). */
  readonly attentionDropout?: number;
}

/** Extra inputs of {@link MultiHeadAttention.forward}. */
export interface AttentionInputs {
  /** [B, S, Dc] sequence to attend to (cross-attention only). */
  readonly context?: tf.Tensor;
  /**
   * [B, S] key padding mask: 1 = real token, 0 = padding (never attended to). Computed from the data, not from a
   * differentiated tensor.
   */
  readonly keyPaddingMask?: tf.Tensor;
}

/**
 * Multi-head scaled dot-product attention, self or cross. Parameters: `qkv` (self) or `q` + `kv` (cross), and `proj`.
 *
 * Layout: heads are split as [B, T, H, Dh] -> [B, H, T, Dh]; keys are transposed once to [B, H, Dh, S] so both
 * products are plain batched matMuls (the wasm backend is much slower with transpose flags).
 */
export class MultiHeadAttention extends Module {
  readonly dim: number;
  readonly heads: number;
  readonly headDim: number;
  private readonly qkv: Linear | undefined;
  private readonly q: Linear | undefined;
  private readonly kv: Linear | undefined;
  private readonly proj: Linear;
  private readonly dropout: Dropout;

  constructor(options: MultiHeadAttentionOptions, random: SeededRandom) {
    super();
    const { dim, heads } = options;
    if (!Number.isInteger(heads) || heads <= 0 || dim % heads !== 0) {
      throw new InvalidConfigError('heads', heads, `a positive divisor of dim (${dim})`);
    }
    this.dim = dim;
    this.heads = heads;
    this.headDim = dim / heads;
    if (options.contextDim === undefined) {
      this.qkv = this.addModule('qkv', new Linear(dim, 3 * dim, random));
    } else {
      this.q = this.addModule('q', new Linear(dim, dim, random));
      this.kv = this.addModule('kv', new Linear(options.contextDim, 2 * dim, random));
    }
    this.proj = this.addModule('proj', new Linear(dim, dim, random));
    this.dropout = this.addModule('dropout', new Dropout(options.attentionDropout ?? 0, random));
  }

  /**
   * x [B, T, D] (queries) -> [B, T, D].
   * Self-attention attends over x itself; cross-attention needs `inputs.context` [B, S, Dc].
   */
  forward(x: tf.Tensor, inputs: AttentionInputs = {}): tf.Tensor {
    const [B, T] = x.shape as [number, number, number];
    if (this.kv && !inputs.context) {
      throw new ShapeMismatchError('MultiHeadAttention(context)', ['B', 'S', 'Dc'], [], 'Cross-attention needs a context.');
    }
    const S = inputs.context ? inputs.context.shape[1]! : T;
    if (inputs.keyPaddingMask && (inputs.keyPaddingMask.shape[0] !== B || inputs.keyPaddingMask.shape[1] !== S)) {
      throw new ShapeMismatchError('MultiHeadAttention(keyPaddingMask)', [B, S], inputs.keyPaddingMask.shape);
    }
    return tf.tidy('nn/multi-head-attention', () => {
      const H = this.heads;
      const Dh = this.headDim;
      let q: tf.Tensor;
      let k: tf.Tensor;
      let v: tf.Tensor;
      if (this.qkv) {
        // Split the fused projection on its last axis (SplitV; unstack is very slow on wasm): each [B, T, D].
        [q, k, v] = tf.split(this.qkv.forward(x), 3, 2) as [tf.Tensor, tf.Tensor, tf.Tensor];
      } else {
        q = this.q!.forward(x); // [B, T, D]
        [k, v] = tf.split(this.kv!.forward(inputs.context!), 2, 2) as [tf.Tensor, tf.Tensor]; // each [B, S, D]
      }
      const qh = tf.transpose(tf.reshape(tf.mul(q, 1 / Math.sqrt(Dh)), [B, T, H, Dh]), [0, 2, 1, 3]); // [B, H, T, Dh], scaled
      const kt = tf.transpose(tf.reshape(k, [B, S, H, Dh]), [0, 2, 3, 1]); // [B, H, Dh, S]
      const vh = tf.transpose(tf.reshape(v, [B, S, H, Dh]), [0, 2, 1, 3]); // [B, H, S, Dh]
      const weights = this.dropout.forward(attentionWeights(tf.matMul(qh, kt), inputs.keyPaddingMask, B, S)); // [B, H, T, S]
      const context = tf.matMul(weights, vh); // [B, H, T, Dh]
      const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [B, T, this.dim]); // [B, T, D]
      return this.proj.forward(merged);
    });
  }
}

/**
 * softmax over keys of scores [B, H, T, S], padding keys (keyPaddingMask [B, S] = 0) left out: the fused kernel where
 * it is installed (wasm with the native addon), else a −1e9 bias at padding and tfjs' softmax.
 */
function attentionWeights(scores: tf.Tensor, keyPaddingMask: tf.Tensor | undefined, B: number, S: number): tf.Tensor {
  if (fusedMaskedSoftmaxAvailable()) return fusedMaskedSoftmax(scores, keyPaddingMask ? tf.reshape(keyPaddingMask, [B, S]) : undefined);
  if (!keyPaddingMask) return tf.softmax(scores);
  // 0 where attended, -1e9 at padding: [B, 1, 1, S]
  const bias = tf.reshape(tf.mul(tf.sub(1, tf.cast(keyPaddingMask, 'float32')), -1e9), [B, 1, 1, S]);
  return tf.softmax(tf.add(scores, bias));
}
