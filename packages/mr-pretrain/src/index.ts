/**
 * @umd/mr-pretrain: multi-level reconstruction pre-training — masking, L_MIM, L_MLM, L_ITM, the EMA teacher and
 * L_FeaMIM/L_FeaMLM, and the pre-training step. Named exports only (see STYLE.md b3).
 */
// Configuration.
export { mrPretrainPresets, mrTerms, validateMrPretrainConfig } from './mr-pretrain-config.js';
export type { FeatureLossConfig, MimDecoderConfig, MrPretrainConfig, MrTerm } from './mr-pretrain-config.js';

// Masking (plain typed arrays; seeded).
export { patchMaskingTensors, randomPatchMasking } from '@umd/encoders'; // moved to @umd/encoders (tuning's patch dropout uses it too)
export type { PatchMasking, PatchMaskingOptions, PatchMaskingTensors } from '@umd/encoders';
export { ignoredLabel, maskTokens } from './mask-tokens.js';
export type { MaskTokensOptions, TokenMasking } from './mask-tokens.js';

// Heads and their losses.
export { MimDecoder, mimLoss } from './mim-decoder.js';
export type { MimDecoderOutput } from './mim-decoder.js';
export { MlmHead } from './mlm-head.js';
export { ItmHead } from '@umd/encoders'; // one head for MR pre-training and retrieval
export { itmPairing } from './itm-head.js';
export type { ItmPairing } from './itm-head.js';
export { featureLoss, normalizeFeatures } from './feature-loss.js';
export { EmaTeacher, teacherMomentumAt } from './ema-teacher.js';

// The pre-training step.
export { createMrPretraining } from './mr-pretraining.js';
export type { MaskTokenIds, MrPretrainHeads, MrPretraining, MrPretrainingOptions } from './mr-pretraining.js';
export { drawMrPretrainPlan, mrPretrainLosses, mrPretrainStep } from './mr-pretrain-step.js';
export type { MrPretrainBatch, MrPretrainLosses, MrPretrainPlan, MrPretrainStepResult } from './mr-pretrain-step.js';

// The run: loader, trainLoop with the teacher, metrics.jsonl, checkpoints, reconstruction pictures.
export { runMrPretraining } from './run-mr-pretraining.js';
export { createMrTraining, mrMetricsLine, mrSchedule } from './create-mr-training.js';
export type { CreateMrTrainingOptions, MrRunOptions, MrTraining } from './create-mr-training.js';
export type { MrLearningRate, MrMetricsLine, MrPretrainEvent, MrPretrainingRun, MrStepEndEvent, RunMrPretrainingOptions } from './run-mr-pretraining.js';
export { reconstructionGrid, writeGridPng } from './reconstruction-grid.js';
export type { GridImage, ReconstructionInputs } from './reconstruction-grid.js';
export { mrPretrainCollatedStep } from './mr-pretrain-collated-step.js';
export type { StackedTerms } from './mr-pretrain-collated-step.js';
