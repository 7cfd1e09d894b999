import type { FusionConfig } from './co-attention-fusion.js';
import type { TextConfig } from './text-transformer.js';
import type { UmdModelConfig } from './umd-model.js';
import type { VitConfig } from './vision-transformer.js';

/** bert-base-uncased's text geometry (vocabulary of the default tokenizer). */
const bertVocabulary = { vocabSize: 30522, maxPositions: 512, typeVocabSize: 2 } as const;

/**
 * Named model sizes.
 * - `tiny`: the CPU default, sized so a full MR pre-training step (`mrPretrainStep`, all five terms) at batch 32 takes
 *   about a second on 2 cores with wasm (measured 0.96-1.14 s; `pnpm --filter @umd/mr-pretrain bench`): greyscale
 *   96 px images in 16 px patches (36 patches), 3+3 blocks of width 96, 1 fusion layer; the bert-base-uncased
 *   vocabulary with 32 positions.
 * - `small`: 160 px, width 256, 6+6 blocks, 2 fusion layers (a CPU run of a day, or a GPU).
 * - `base`: M3AE's shape, for GPU users — CLIP ViT-B/16 at 224 px (RGB, learned positions, pre-LayerNorm, quick-GELU:
 *   loads OpenAI CLIP weights) and BERT-base (post-LN; loads bert-base-uncased), 12 layers × 768 each, 6 fusion layers.
 * - `baseRoberta`: `base` with RoBERTa-base text geometry (BPE vocabulary 50,265; positions from 2), as in M3AE.
 */
export const encoderPresets = {
  tiny: {
    vision: { imageSize: 96, patchSize: 16, channels: 1, dim: 96, depth: 3, heads: 4, mlpDim: 384, positionEmbedding: 'sincos' },
    text: { ...bertVocabulary, maxPositions: 32, dim: 96, depth: 3, heads: 4, mlpDim: 384, normPlacement: 'pre', layerNormEpsilon: 1e-5 },
    fusion: { dim: 96, depth: 1, heads: 4, mlpDim: 384 },
  },
  small: {
    vision: { imageSize: 160, patchSize: 16, channels: 1, dim: 256, depth: 6, heads: 4, mlpDim: 1024, positionEmbedding: 'sincos' },
    text: { ...bertVocabulary, maxPositions: 64, dim: 256, depth: 6, heads: 4, mlpDim: 1024, normPlacement: 'pre', layerNormEpsilon: 1e-5 },
    fusion: { dim: 256, depth: 2, heads: 4, mlpDim: 1024 },
  },
  base: {
    vision: {
      imageSize: 224,
      patchSize: 16,
      channels: 3,
      dim: 768,
      depth: 12,
      heads: 12,
      mlpDim: 3072,
      positionEmbedding: 'learned',
      patchBias: false,
      preNorm: true,
      activation: 'quick-gelu',
      layerNormEpsilon: 1e-5,
    },
    text: { ...bertVocabulary, dim: 768, depth: 12, heads: 12, mlpDim: 3072, normPlacement: 'post', layerNormEpsilon: 1e-12 },
    fusion: { dim: 768, depth: 6, heads: 12, mlpDim: 3072 },
  },
  baseRoberta: {
    vision: {
      imageSize: 224,
      patchSize: 16,
      channels: 3,
      dim: 768,
      depth: 12,
      heads: 12,
      mlpDim: 3072,
      positionEmbedding: 'learned',
      patchBias: false,
      preNorm: true,
      activation: 'quick-gelu',
      layerNormEpsilon: 1e-5,
    },
    text: {
      vocabSize: 50265,
      maxPositions: 514,
      typeVocabSize: 1,
      positionOffset: 2,
      dim: 768,
      depth: 12,
      heads: 12,
      mlpDim: 3072,
      normPlacement: 'post',
      layerNormEpsilon: 1e-5,
    },
    fusion: { dim: 768, depth: 6, heads: 12, mlpDim: 3072 },
  },
} as const satisfies Record<string, UmdModelConfig>;

export type EncoderPresetName = keyof typeof encoderPresets;

// Type-level checks that each part of a preset is a valid part config.
encoderPresets.tiny.vision satisfies VitConfig;
encoderPresets.tiny.text satisfies TextConfig;
encoderPresets.tiny.fusion satisfies FusionConfig;
