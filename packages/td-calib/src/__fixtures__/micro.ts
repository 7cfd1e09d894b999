import path from 'node:path';

import type * as tf from '@tensorflow/tfjs-core';
import { saveCheckpoint, SeededRandom } from '@umd/core';
import { generatePhantomDataset, trainWordPieceTokenizer, type CaptionSample, type VqaSample, type WordPieceTokenizer } from '@umd/data';
import { UmdModel, type UmdModelConfig } from '@umd/encoders';
import { createMrPretraining, mrPretrainPresets, type MrPretrainConfig } from '@umd/mr-pretrain';

/** 32 px greyscale phantom images in 8 px patches (L = 16), one block per encoder, one fusion layer. */
export function microConfig(vocabSize: number): UmdModelConfig {
  return {
    vision: { imageSize: 32, patchSize: 8, channels: 1, dim: 16, depth: 1, heads: 2, mlpDim: 32, positionEmbedding: 'sincos' },
    text: { vocabSize, maxPositions: 20, typeVocabSize: 2, dim: 16, depth: 1, heads: 2, mlpDim: 32, normPlacement: 'pre', layerNormEpsilon: 1e-5 },
    fusion: { dim: 16, depth: 1, heads: 2, mlpDim: 32 },
  };
}

/** `mrPretrainPresets.full` (all five terms) with a decoder sized for {@link microConfig}. */
export const microMrConfig: MrPretrainConfig = { ...mrPretrainPresets.full, decoder: { dim: 8, depth: 1, heads: 2, mlpDim: 16, input: { kind: 'last' } } };

/** Phantom data for calibration tests: captions of some images (pre-training) and VQA samples of OTHER images (downstream). */
export interface PhantomCalibrationData {
  readonly tokenizer: WordPieceTokenizer;
  readonly model: UmdModelConfig;
  /** Captions of 24 images (seed 1): the "pre-training corpus". */
  readonly captions: readonly CaptionSample[];
  /** VQA samples of other images (seed 2): train (6 images), validate and test (2 each). */
  readonly vqa: Readonly<Record<'train' | 'validate' | 'test', readonly VqaSample[]>>;
}

export async function phantomCalibrationData(root: string): Promise<PhantomCalibrationData> {
  const captions = generatePhantomDataset({ seed: 1, counts: { train: 24, validate: 0, test: 0 }, size: 32, tasks: ['caption'] }).splits.train;
  const vqa = generatePhantomDataset({ seed: 2, counts: { train: 6, validate: 2, test: 2 }, size: 32, tasks: ['vqa'] }).splits;
  // A small WordPiece vocabulary keeps the micro model micro (bert-base-uncased: 30,522).
  const corpus = [...captions.map((sample) => sample.caption), ...vqa.train.map((sample) => sample.question)];
  const trained = await trainWordPieceTokenizer({ corpus, outputPath: path.join(root, 'tokenizer.json'), vocabSize: 150 });
  return { tokenizer: trained.tokenizer, model: microConfig(trained.vocabSize), captions, vqa };
}

/**
 * Writes a checkpoint in the layout of `runMrPretraining` (student weights, the teacher under `extra/teacher/`,
 * `config.model`, `config.mrPretrain`, `config.learningRate`) from randomly initialised weights: for unit tests that
 * need the layout, not trained weights.
 */
export async function writeRandomMrCheckpoint(file: string, model: UmdModelConfig, config: MrPretrainConfig, seed: number): Promise<void> {
  const random = new SeededRandom(seed);
  const student = new UmdModel(model, random);
  const pretraining = createMrPretraining({ model: student, config, random, totalSteps: 1, tokens: { maskTokenId: 4, specialTokenIds: [0, 1, 2, 3, 4] } });
  try {
    const weights: Map<string, tf.Tensor> = student.parameterMap();
    for (const [name, variable] of pretraining.teacher?.model.parameterMap() ?? []) weights.set(`extra/teacher/${name}`, variable);
    await saveCheckpoint(file, { weights, metadata: { step: 0, config: { model, mrPretrain: config, learningRate: { base: 1e-3, warmupSteps: 0 } } } });
  } finally {
    pretraining.dispose();
    student.dispose();
  }
}
