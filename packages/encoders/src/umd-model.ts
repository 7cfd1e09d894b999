import type * as tf from '@tensorflow/tfjs-core';
import { Module, ModuleDict, tidyStruct, type SeededRandom } from '@umd/core';

import { CoAttentionFusion, type FusionConfig, type FusionOutput, type FusionPooling } from './co-attention-fusion.js';
import { TextTransformer, type TextConfig } from './text-transformer.js';
import { VisionTransformer, type VitConfig } from './vision-transformer.js';

/** The whole two-stream architecture. Plain data; stored in checkpoints (see `encoderPresets`). */
export interface UmdModelConfig {
  readonly vision: VitConfig;
  readonly text: TextConfig;
  readonly fusion: FusionConfig;
}

export interface UmdModelInputs {
  /** [B, H, W, C] normalised images (NHWC). */
  readonly images: tf.Tensor;
  /** [B, Lv] int32 indices of the visible patches (MAE); default all. */
  readonly visibleIndices?: tf.Tensor;
  /** [B, L, Cin] the image patch tokens (`vision.patchTokens(images)`), to take gradients with respect to them. */
  readonly patchTokens?: tf.Tensor;
  /** [B, T] int32 WordPiece ids. */
  readonly tokenIds: tf.Tensor;
  /** [B, T] 1 = real token, 0 = padding. */
  readonly attentionMask?: tf.Tensor;
  /** [B, T] int32 segment ids. */
  readonly typeIds?: tf.Tensor;
  /** Return every fusion layer's output too. */
  readonly keepFusionLayers?: boolean;
  /** How the fusion output's `pooled` pair is formed. Default `'cls'`. */
  readonly pooling?: FusionPooling;
}

export interface UmdModelOutput {
  /** [B, 1 + Lv, Dv] the image encoder's tokens (CLS first). */
  readonly vision: tf.Tensor3D;
  /** [B, T, Dt] the text encoder's tokens. */
  readonly text: tf.Tensor3D;
  /** The fused streams and the pooled pair [B, 2D] (`[text CLS ; image CLS]` by default; see `pooling`). */
  readonly fusion: FusionOutput;
}

/**
 * The UMD two-stream model: `vision` (ViT), `text` (BERT-style), `fusion` (co-attention) and `heads` (a registry where
 * pre-training and task packages add their heads). Parameter names start with `vision.`, `text.`, `fusion.` or
 * `heads.`, so optimizers, checkpoints and GM-Coord select groups by prefix.
 */
export class UmdModel extends Module {
  readonly vision: VisionTransformer;
  readonly text: TextTransformer;
  readonly fusion: CoAttentionFusion;
  readonly heads: ModuleDict;

  constructor(
    readonly config: UmdModelConfig,
    random: SeededRandom,
  ) {
    super();
    this.vision = this.addModule('vision', new VisionTransformer(config.vision, random));
    this.text = this.addModule('text', new TextTransformer(config.text, random));
    this.fusion = this.addModule('fusion', new CoAttentionFusion(config.fusion, { textDim: config.text.dim, visionDim: config.vision.dim }, random));
    this.heads = this.addModule('heads', new ModuleDict());
  }

  /** Encodes both modalities and fuses them. The caller owns every returned tensor. */
  forward(inputs: UmdModelInputs): UmdModelOutput {
    return tidyStruct('encoders/umd-model', () => {
      const vision = this.vision.forward(inputs.images, {
        ...(inputs.visibleIndices ? { visibleIndices: inputs.visibleIndices } : {}),
        ...(inputs.patchTokens ? { patchTokens: inputs.patchTokens } : {}),
      });
      const text = this.text.forward(inputs.tokenIds, {
        ...(inputs.attentionMask ? { attentionMask: inputs.attentionMask } : {}),
        ...(inputs.typeIds ? { typeIds: inputs.typeIds } : {}),
      });
      const fusion = this.fusion.forward(text, vision, {
        ...(inputs.attentionMask ? { textMask: inputs.attentionMask } : {}),
        keepLayers: inputs.keepFusionLayers ?? false,
        ...(inputs.pooling ? { pooling: inputs.pooling } : {}),
      });
      return { vision, text, fusion };
    });
  }
}
