import type { UmdModelConfig } from '../umd-model.js';

/** Small configs for tests: shapes as in the presets, sizes a test can run in milliseconds. */
export const microConfig = {
  vision: { imageSize: 16, patchSize: 4, channels: 1, dim: 16, depth: 2, heads: 2, mlpDim: 32, positionEmbedding: 'sincos' },
  text: { vocabSize: 60, maxPositions: 12, typeVocabSize: 2, dim: 12, depth: 2, heads: 2, mlpDim: 24, normPlacement: 'pre', layerNormEpsilon: 1e-5 },
  fusion: { dim: 16, depth: 2, heads: 2, mlpDim: 32 },
} as const satisfies UmdModelConfig;

/** CLIP/BERT layouts (as in `encoderPresets.base`) at test size. */
export const microHuggingFaceConfig = {
  vision: {
    imageSize: 8,
    patchSize: 4,
    channels: 3,
    dim: 8,
    depth: 2,
    heads: 2,
    mlpDim: 16,
    positionEmbedding: 'learned',
    patchBias: false,
    preNorm: true,
    activation: 'quick-gelu',
    layerNormEpsilon: 1e-5,
  },
  text: { vocabSize: 30, maxPositions: 10, typeVocabSize: 2, dim: 8, depth: 2, heads: 2, mlpDim: 16, normPlacement: 'post', layerNormEpsilon: 1e-12 },
  fusion: { dim: 8, depth: 1, heads: 2, mlpDim: 16 },
} as const satisfies UmdModelConfig;
