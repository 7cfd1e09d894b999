import * as tf from '@tensorflow/tfjs-core';
import type { SeededRandom } from '@umd/core';
import { WordPieceTokenizer, generatePhantomDataset, wordPieceTokenizerJson, type Sample } from '@umd/data';
import type { UmdModelConfig } from '@umd/encoders';

/**
 * A model at test size for 32 px phantom scans: 8 px patches (L = 16), one block per encoder, one fusion layer,
 * width 32. `vocabSize` is the phantom tokenizer's.
 */
export function microTaskConfig(
  vocabSize: number,
  overrides: { fusionDepth?: number; imageSize?: number; patchSize?: number; dim?: number } = {},
): UmdModelConfig {
  const dim = overrides.dim ?? 32;
  return {
    vision: {
      imageSize: overrides.imageSize ?? 32,
      patchSize: overrides.patchSize ?? 8,
      channels: 1,
      dim,
      depth: 1,
      heads: 2,
      mlpDim: 2 * dim,
      positionEmbedding: 'sincos',
    },
    text: { vocabSize, maxPositions: 24, typeVocabSize: 2, dim, depth: 1, heads: 2, mlpDim: 2 * dim, normPlacement: 'pre', layerNormEpsilon: 1e-5 },
    fusion: { dim, depth: overrides.fusionDepth ?? 1, heads: 2, mlpDim: 2 * dim },
  };
}

/**
 * A deterministic word-level WordPiece tokenizer for the given texts: BERT's special tokens, then every lower-cased
 * word and punctuation mark in sorted order (so no text ever needs `##` pieces or `[UNK]`).
 */
export function textTokenizer(texts: readonly string[]): WordPieceTokenizer {
  const words = new Set<string>();
  for (const text of texts) for (const word of text.toLowerCase().match(/[a-z0-9]+|[^\sa-z0-9]/g) ?? []) words.add(word);
  return new WordPieceTokenizer(wordPieceTokenizerJson(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...[...words].sort()]));
}

/** Phantom samples of one task at 32 px. */
export function phantomSplits<T extends Sample['task']>(
  task: T,
  counts: { train: number; validate: number; test?: number },
  seed = 1,
): { train: readonly Extract<Sample, { task: T }>[]; validate: readonly Extract<Sample, { task: T }>[] } {
  const dataset = generatePhantomDataset({ seed, counts: { test: 0, ...counts }, size: 32, tasks: [task] });
  return { train: dataset.splits.train, validate: dataset.splits.validate };
}

/** A random batch for `microTaskConfig` (32 px grey images, token ids 5..vocabSize−1, 0–2 padding tokens). The caller disposes `images`. */
export function randomTaskBatch(
  random: SeededRandom,
  options: { batchSize: number; length: number; vocabSize: number; classes?: number; imageSize?: number },
): { images: tf.Tensor4D; tokenIds: Int32Array; attentionMask: Float32Array; wordIds: Int32Array; targets: Int32Array } {
  const { batchSize: B, length: T, vocabSize } = options;
  const S = options.imageSize ?? 32;
  const tokenIds = new Int32Array(B * T);
  const attentionMask = new Float32Array(B * T);
  const wordIds = new Int32Array(B * T).fill(-1);
  for (let b = 0; b < B; b++) {
    const real = T - random.integer(3);
    tokenIds[b * T] = 2; // [CLS]
    for (let t = 1; t < real - 1; t++) {
      tokenIds[b * T + t] = 5 + random.integer(vocabSize - 5);
      wordIds[b * T + t] = t - 1;
    }
    tokenIds[b * T + real - 1] = 3; // [SEP]
    attentionMask.fill(1, b * T, b * T + real);
  }
  const targets = Int32Array.from({ length: B }, () => random.integer(options.classes ?? 2));
  return { images: tf.tensor4d(random.normalArray(B * S * S), [B, S, S, 1]), tokenIds, attentionMask, wordIds, targets };
}
