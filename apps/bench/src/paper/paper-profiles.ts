import type { PaperProfile } from './paper-profile.js';

/** The profiles `umd-bench paper --profile` accepts (`micro` is hidden: tests only). */
export const paperProfileNames = ['quick', 'full', 'micro'] as const;
export type PaperProfileName = (typeof paperProfileNames)[number];

const phantomDefaults = { trainImages: 300, validateImages: 60, testImages: 60, size: 64 } as const;

/**
 * The model of the ready configs (apps/trainer/configs/vqa-rad.yaml and the others): the tiny preset on top of the
 * frozen ImageNet MobileNetV2 stem of `nsfwjs` (224 px RGB, one token per 32 px). The ready configs now also tune the
 * stem's last block or two (`stem.tunedBlocks`), and vqa-rad and slake feed it pixels in [0, 1] (`stem.inputRange`); the grid
 * keeps the whole stem frozen and fed [-1, 1], as its measured grids (docs/results/paper-grid) had it, and because one
 * pre-training serves every task.
 */
const tinyWithStem = {
  preset: 'tiny',
  overrides: { vision: { imageSize: 224, patchSize: 32, channels: 3, stem: { kind: 'mobilenet-v2' } } },
} as const;

/** The tuning recipe of the ready configs: one learning rate for every part, mean pooling. */
const readyRecipe = { learningRate: 3e-4, learningRateMultipliers: { encoders: 1, fusion: 1, heads: 1 }, pooling: 'mean' } as const;

/** VQA-RAD's validation as the ready config carves it: 15% of MEVF train, by question (see `validationCarve`). */
const readyData = { validationFraction: 0.15, validationCarve: 'question' } as const;

/**
 * The profiles. Times are for the whole grid (4 tasks, 5 variants + the text-only floor model) on 2 CPU cores (wasm).
 * `quick` and `full` train the ready configs' model and recipe (tiny + MobileNetV2 stem, one learning rate, mean
 * pooling, VQA-RAD validation carved by question), so the `scratch` row is the ready config:
 * - `quick` (about 15 min, 1 seed): a smoke of the protocol — 30 pre-training steps per MR variant, 10 calibration
 *   steps per task, 1 epoch on at most 320 training samples per cell, model selection on at most 200 validation
 *   samples. The numbers are NOT results.
 * - `full` (many hours, 3 seeds): 6,000 MR pre-training steps per variant on MedPix 2.0 train (a step count, so two
 *   runs give the same numbers), 200 calibration steps per task, 15 epochs (VQA-RAD 25) on the whole training split
 *   per cell.
 * - `micro` (seconds, phantom data): a 16-wide model with its own small vocabulary, two steps of everything; for
 *   tests of the machinery.
 */
export const paperProfiles: Readonly<Record<PaperProfileName, PaperProfile>> = {
  quick: {
    name: 'quick',
    summary:
      'quick: 30 MR pre-training steps per variant (batch 32), 10 TD-Calib steps per task, 1 tuning epoch on ≤ 320 training samples per cell, selection on ≤ 200 validation samples',
    smoke: true,
    seeds: 1,
    model: tinyWithStem,
    tokenizer: { kind: 'bert-base-uncased' },
    pretrain: { steps: 30, batchSize: 32, learningRate: 5e-4, checkpointEvery: 10, pictureEvery: 0 },
    calibrate: { steps: 10, batchSize: 32, regularizer: false, regularizerDecaySteps: 10 },
    data: readyData,
    finetune: { epochs: 1, batchSize: 32, ...readyRecipe, gmCoordAlpha: 0.5, maxTrainSamples: 320, maxValidationSamples: 200 },
    evaluate: { bootstrapResamples: 200 },
    phantom: phantomDefaults,
  },
  full: {
    name: 'full',
    summary:
      "full: 6,000 MR pre-training steps per variant on MedPix 2.0 train (batch 32), 200 TD-Calib steps per task, 15 tuning epochs (VQA-RAD 25: the ready configs' recipe) on the whole training split per cell, selection on the whole validation split",
    smoke: false,
    seeds: 3,
    model: tinyWithStem,
    tokenizer: { kind: 'bert-base-uncased' },
    pretrain: { steps: 6000, batchSize: 32, learningRate: 3e-4, checkpointEvery: 250, pictureEvery: 250 },
    calibrate: { steps: 200, batchSize: 32, regularizer: false, regularizerDecaySteps: 300 },
    data: readyData,
    finetune: { epochs: 15, epochsByTask: { 'vqa-rad': 25 }, batchSize: 32, ...readyRecipe, gmCoordAlpha: 0.5 },
    evaluate: { bootstrapResamples: 1000 },
    phantom: phantomDefaults,
  },
  micro: {
    name: 'micro',
    summary:
      'micro: a 16-wide model with a trained 150-piece vocabulary, 2 pre-training steps, 1 calibration step, 1 epoch on ≤ 16 samples (tests of the machinery only)',
    smoke: true,
    seeds: 1,
    model: {
      preset: 'tiny',
      overrides: {
        vision: { imageSize: 32, patchSize: 8, dim: 16, depth: 1, heads: 2, mlpDim: 32 },
        text: { maxPositions: 16, dim: 16, depth: 1, heads: 2, mlpDim: 32 },
        fusion: { dim: 16, depth: 1, heads: 2, mlpDim: 32 },
      },
    },
    tokenizer: { kind: 'trained', vocabSize: 150 },
    pretrain: { steps: 2, batchSize: 4, learningRate: 1e-3, checkpointEvery: 1, pictureEvery: 0 },
    calibrate: { steps: 1, batchSize: 4, regularizer: false, regularizerDecaySteps: 4 },
    data: { validationFraction: 0.1, validationCarve: 'image' },
    finetune: { epochs: 1, batchSize: 8, learningRate: 1e-3, gmCoordAlpha: 0.5, maxTrainSamples: 16, maxValidationSamples: 8 },
    evaluate: { bootstrapResamples: 20 },
    phantom: { trainImages: 8, validateImages: 4, testImages: 4, size: 32 },
  },
};
