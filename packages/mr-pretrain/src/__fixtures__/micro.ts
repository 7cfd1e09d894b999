import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '@umd/core';
import type { UmdModelConfig } from '@umd/encoders';

import { mrPretrainPresets, type MrPretrainConfig } from '../mr-pretrain-config.js';

/** The shape of `encoderPresets` at test size: 16 px greyscale images in 4 px patches (L = 16), one block per encoder, two fusion layers (so a middle layer exists). */
export const microConfig = {
  vision: { imageSize: 16, patchSize: 4, channels: 1, dim: 16, depth: 1, heads: 2, mlpDim: 32, positionEmbedding: 'sincos' },
  text: { vocabSize: 60, maxPositions: 12, typeVocabSize: 2, dim: 12, depth: 1, heads: 2, mlpDim: 24, normPlacement: 'pre', layerNormEpsilon: 1e-5 },
  fusion: { dim: 16, depth: 2, heads: 2, mlpDim: 32 },
} as const satisfies UmdModelConfig;

/** `[PAD]` 0, `[CLS]` 1, `[SEP]` 2, `[MASK]` 3. */
export const microTokens = { maskTokenId: 3, specialTokenIds: [0, 1, 2, 3] } as const;

/** `mrPretrainPresets.full` with a decoder sized for `microConfig`. */
export function microPretrainConfig(overrides: Partial<MrPretrainConfig> = {}): MrPretrainConfig {
  return { ...mrPretrainPresets.full, decoder: { dim: 8, depth: 1, heads: 2, mlpDim: 16, input: { kind: 'last' } }, ...overrides };
}

export interface MicroBatch {
  readonly images: tf.Tensor4D;
  readonly tokenIds: Int32Array;
  readonly attentionMask: Float32Array;
  readonly wordIds: Int32Array;
}

/**
 * Random images and texts: `[CLS]`, words of 1–3 tokens (ids 4..59), `[SEP]`, padding. The caller disposes `images`.
 */
export function microBatch(random: SeededRandom, batchSize = 4, length = 10): MicroBatch {
  const tokenIds = new Int32Array(batchSize * length);
  const attentionMask = new Float32Array(batchSize * length);
  const wordIds = new Int32Array(batchSize * length).fill(-1);
  for (let b = 0; b < batchSize; b++) {
    const realLength = length - random.integer(3); // 0–2 padding tokens
    const row = b * length;
    tokenIds[row] = 1;
    let word = 0;
    let t = 1;
    while (t < realLength - 1) {
      const size = Math.min(1 + random.integer(3), realLength - 1 - t);
      for (let k = 0; k < size; k++, t++) {
        tokenIds[row + t] = 4 + random.integer(56);
        wordIds[row + t] = word;
      }
      word++;
    }
    tokenIds[row + realLength - 1] = 2;
    for (let t2 = 0; t2 < realLength; t2++) attentionMask[row + t2] = 1;
  }
  const images = tf.tensor4d(random.uniformArray(batchSize * 16 * 16), [batchSize, 16, 16, 1]);
  return { images, tokenIds, attentionMask, wordIds };
}
