import * as tf from '@tensorflow/tfjs-core';
import {
  Dropout,
  InvalidConfigError,
  LayerNorm,
  Linear,
  Mlp,
  Module,
  ModuleList,
  MultiHeadAttention,
  initTensor,
  tidyStruct,
  type SeededRandom,
} from '@umd/core';

import { maskedMean } from './masked-mean.js';

/** Architecture of the co-attention fusion. Plain data; stored in checkpoints. */
export interface FusionConfig {
  /** Width D of both fused streams. */
  readonly dim: number;
  /** Number of co-attention layers (M3AE: 6). */
  readonly depth: number;
  readonly heads: number;
  readonly mlpDim: number;
  /** Dropout in attention and MLP (default 0). */
  readonly dropout?: number;
  /** LayerNorm epsilon (default 1e-5). */
  readonly layerNormEpsilon?: number;
}

/** Both streams after one fusion layer (before the final LayerNorms). */
export interface FusionLayerOutput {
  /** [B, T, D] */
  readonly text: tf.Tensor3D;
  /** [B, 1 + Lv, D] */
  readonly image: tf.Tensor3D;
}

export interface FusionOutput {
  /** [B, T, D] text stream after the last layer and its LayerNorm. */
  readonly text: tf.Tensor3D;
  /** [B, 1 + Lv, D] image stream after the last layer and its LayerNorm. */
  readonly image: tf.Tensor3D;
  /** [B, 2D] the pooled pair: `[text CLS ; image CLS]`, or with `pooling: 'mean'` the mean of each stream's tokens. */
  readonly pooled: tf.Tensor2D;
  /** Each layer's output when `keepLayers` was set (M3AE's MIM decoder reads a middle layer), else empty. */
  readonly layers: readonly FusionLayerOutput[];
}

export interface FusionInputs {
  /** [B, T] 1 = real token, 0 = padding; image tokens never attend to text padding. */
  readonly textMask?: tf.Tensor;
  /** Also return every layer's output (`layers`). */
  readonly keepLayers?: boolean;
  /** How `pooled` summarises each stream. Default `'cls'`. */
  readonly pooling?: FusionPooling;
}

/**
 * `cls`: each stream's first token (M3AE, for models whose CLS was trained to summarise, e.g. imported BERT/CLIP
 * weights). `mean`: the mean over the text stream's real tokens (padding excluded) and over all image tokens — far
 * more input-dependent in models trained from scratch, whose CLS features barely differ between inputs.
 */
export type FusionPooling = 'cls' | 'mean';

/**
 * One stream of a co-attention layer (pre-LN): self-attention, cross-attention to the other stream, MLP.
 * Parameters: `norm1`, `selfAttn`, `norm2`, `contextNorm`, `crossAttn`, `norm3`, `mlp`.
 */
class StreamLayer extends Module {
  private readonly norm1: LayerNorm;
  private readonly selfAttn: MultiHeadAttention;
  private readonly norm2: LayerNorm;
  private readonly contextNorm: LayerNorm;
  private readonly crossAttn: MultiHeadAttention;
  private readonly norm3: LayerNorm;
  private readonly mlp: Mlp;
  private readonly dropout: Dropout;

  constructor(config: FusionConfig, random: SeededRandom) {
    super();
    const { dim, heads } = config;
    const epsilon = config.layerNormEpsilon ?? 1e-5;
    const rate = config.dropout ?? 0;
    this.norm1 = this.addModule('norm1', new LayerNorm(dim, epsilon));
    this.selfAttn = this.addModule('selfAttn', new MultiHeadAttention({ dim, heads, attentionDropout: rate }, random));
    this.norm2 = this.addModule('norm2', new LayerNorm(dim, epsilon));
    this.contextNorm = this.addModule('contextNorm', new LayerNorm(dim, epsilon));
    this.crossAttn = this.addModule('crossAttn', new MultiHeadAttention({ dim, heads, contextDim: dim, attentionDropout: rate }, random));
    this.norm3 = this.addModule('norm3', new LayerNorm(dim, epsilon));
    this.mlp = this.addModule('mlp', new Mlp(dim, config.mlpDim, random));
    this.dropout = this.addModule('dropout', new Dropout(rate, random));
  }

  /** Self-attention only: x [B, N, D] -> [B, N, D]. */
  attendSelf(x: tf.Tensor, ownMask: tf.Tensor | undefined): tf.Tensor {
    return tf.add(x, this.dropout.forward(this.selfAttn.forward(this.norm1.forward(x), ownMask ? { keyPaddingMask: ownMask } : {})));
  }

  /** Cross-attention to `other` [B, S, D] (masked by `otherMask`), then the MLP: x [B, N, D] -> [B, N, D]. */
  attendOther(x: tf.Tensor, other: tf.Tensor, otherMask: tf.Tensor | undefined): tf.Tensor {
    const context = this.contextNorm.forward(other);
    const crossed = tf.add(
      x,
      this.dropout.forward(this.crossAttn.forward(this.norm2.forward(x), { context, ...(otherMask ? { keyPaddingMask: otherMask } : {}) })),
    );
    return tf.add(crossed, this.dropout.forward(this.mlp.forward(this.norm3.forward(crossed))));
  }
}

/** A co-attention layer: a text stream and an image stream, each attending to itself, then to the other. */
class CoAttentionLayer extends Module {
  private readonly text: StreamLayer;
  private readonly image: StreamLayer;

  constructor(config: FusionConfig, random: SeededRandom) {
    super();
    this.text = this.addModule('text', new StreamLayer(config, random));
    this.image = this.addModule('image', new StreamLayer(config, random));
  }

  forward(text: tf.Tensor, image: tf.Tensor, textMask: tf.Tensor | undefined): { text: tf.Tensor3D; image: tf.Tensor3D } {
    // Both streams self-attend first; each then attends to the other's self-attended states (METER/M3AE order).
    const textSelf = this.text.attendSelf(text, textMask);
    const imageSelf = this.image.attendSelf(image, undefined);
    return {
      text: this.text.attendOther(textSelf, imageSelf, undefined) as tf.Tensor3D,
      image: this.image.attendOther(imageSelf, textSelf, textMask) as tf.Tensor3D,
    };
  }
}

/**
 * Co-attention fusion of a text and an image token sequence (M3AE/METER-style, pre-LN). The inputs are projected to
 * width D (`textIn`, `imageIn`) and tagged with a modality embedding (`modalityEmbedding` [2, D]), pass `depth`
 * co-attention layers (`layers.N.text.…`, `layers.N.image.…`) and final LayerNorms (`textNorm`, `imageNorm`).
 */
export class CoAttentionFusion extends Module {
  private readonly textIn: Linear;
  private readonly imageIn: Linear;
  private readonly modalityEmbedding: tf.Variable;
  private readonly layers: ModuleList<CoAttentionLayer>;
  private readonly textNorm: LayerNorm;
  private readonly imageNorm: LayerNorm;

  constructor(
    readonly config: FusionConfig,
    widths: { readonly textDim: number; readonly visionDim: number },
    random: SeededRandom,
  ) {
    super();
    for (const key of ['dim', 'depth', 'heads', 'mlpDim'] as const) {
      if (!(Number.isInteger(config[key]) && config[key] > 0)) throw new InvalidConfigError(`fusion.${key}`, config[key], 'a positive integer');
    }
    const { dim } = config;
    const epsilon = config.layerNormEpsilon ?? 1e-5;
    this.textIn = this.addModule('textIn', new Linear(widths.textDim, dim, random));
    this.imageIn = this.addModule('imageIn', new Linear(widths.visionDim, dim, random));
    this.modalityEmbedding = this.addParameter('modalityEmbedding', initTensor([2, dim], { kind: 'truncated-normal', std: 0.02 }, random), {
      weightDecay: false,
    });
    this.layers = this.addModule('layers', new ModuleList(Array.from({ length: config.depth }, () => new CoAttentionLayer(config, random))));
    this.textNorm = this.addModule('textNorm', new LayerNorm(dim, epsilon));
    this.imageNorm = this.addModule('imageNorm', new LayerNorm(dim, epsilon));
  }

  /**
   * text [B, T, Dt], image [B, 1 + Lv, Dv] (CLS first in each) -> {@link FusionOutput}. The caller owns every
   * returned tensor (including `layers`).
   */
  forward(text: tf.Tensor, image: tf.Tensor, inputs: FusionInputs = {}): FusionOutput {
    return tidyStruct('encoders/co-attention-fusion', () => {
      const D = this.config.dim;
      const modality = (index: number): tf.Tensor => tf.reshape(tf.slice(this.modalityEmbedding, [index, 0], [1, D]), [1, 1, D]);
      let t: tf.Tensor = tf.add(this.textIn.forward(text), modality(0)); // [B, T, D]
      let i: tf.Tensor = tf.add(this.imageIn.forward(image), modality(1)); // [B, 1 + Lv, D]
      const layers: FusionLayerOutput[] = [];
      for (const layer of this.layers) {
        const out = layer.forward(t, i, inputs.textMask);
        t = out.text;
        i = out.image;
        if (inputs.keepLayers) layers.push(out);
      }
      const textOut = this.textNorm.forward(t) as tf.Tensor3D;
      const imageOut = this.imageNorm.forward(i) as tf.Tensor3D;
      const [B] = textOut.shape;
      const pooled =
        inputs.pooling === 'mean'
          ? tf.concat([maskedMean(textOut, inputs.textMask), tf.mean(imageOut, 1)], 1)
          : tf.concat([tf.reshape(tf.slice(textOut, [0, 0, 0], [B, 1, D]), [B, D]), tf.reshape(tf.slice(imageOut, [0, 0, 0], [B, 1, D]), [B, D])], 1);
      return { text: textOut, image: imageOut, pooled: pooled as tf.Tensor2D, layers };
    });
  }
}
