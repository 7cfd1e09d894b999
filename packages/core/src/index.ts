/**
 * @umd/core: the tfjs runtime of UMD-TS. This file is the public API (named exports only).
 */
// Runtime: backend selection and training speed fixes.
export { backendNames, currentRuntime, describeRuntime, initRuntime } from './runtime/init-runtime.js';
export type { BackendName, RuntimeInfo, RuntimeOptions } from './runtime/init-runtime.js';
export { tidyStruct } from './runtime/tidy-struct.js';
export { valueAndGrads } from './runtime/value-and-grads.js';
export { withoutTape } from './runtime/without-tape.js';
export { gitCommit, machineDescription } from './runtime/run-provenance.js';

// Randomness.
export { SeededRandom } from './random/seeded-random.js';
export type { RandomState } from './random/seeded-random.js';

// nn primitives.
export { Module } from './nn/module.js';
export { ModuleDict, ModuleList } from './nn/module-list.js';
export type { NamedTensors, Parameter } from './nn/module.js';
export { defaultInitializer, initTensor } from './nn/init.js';
export type { Initializer } from './nn/init.js';
export { Linear } from './nn/linear.js';
export type { LinearOptions } from './nn/linear.js';
export { LayerNorm } from './nn/layer-norm.js';
export { Embedding } from './nn/embedding.js';
export { Dropout } from './nn/dropout.js';
export { softmaxCrossEntropy } from './nn/softmax-cross-entropy.js';
export type { CrossEntropyTargets, SoftmaxCrossEntropyOptions } from './nn/softmax-cross-entropy.js';
export { gelu } from './nn/gelu.js';
export { Mlp } from './nn/mlp.js';
export type { Activation } from './nn/mlp.js';
export { MultiHeadAttention } from './nn/multi-head-attention.js';
export type { AttentionInputs, MultiHeadAttentionOptions } from './nn/multi-head-attention.js';
export { TransformerBlock } from './nn/transformer-block.js';
export type { TransformerBlockConfig } from './nn/transformer-block.js';

// Optimisation.
export { AdamW } from './optim/adamw.js';
export type { AdamWOptions, AdamWParameterGroup, AdamWState } from './optim/adamw.js';
export { learningRateAt, validateLrSchedule } from './optim/lr-schedule.js';
export type { LrSchedule } from './optim/lr-schedule.js';
export { clipGradNorm, globalNorm } from './optim/clip-grad-norm.js';
export { GradientAccumulator } from './optim/gradient-accumulator.js';
export { WeightAverage } from './optim/weight-average.js';
// Our replacements of two tfjs gradients (initRuntime registers them; a browser page registers them itself).
export { batchMatMulGradient } from './runtime/batch-mat-mul-gradient.js';
export { tileGradient } from './runtime/tile-gradient.js';

// Checkpoints (safetensors).
export { decodeSafetensors, encodeSafetensors, readSafetensors, readSafetensorsHeader, safetensorsDataBuffer } from './checkpoint/safetensors.js';
export type { SafetensorsDtype, SafetensorsEntry, SafetensorsHeader, TensorRecord } from './checkpoint/safetensors.js';
export { assignWeights, decodeCheckpoint, readCheckpoint, recordFromTensor, saveCheckpoint, tensorFromRecord } from './checkpoint/checkpoint.js';
export type { AssignWeightsOptions, AssignWeightsResult, CheckpointMetadata, LoadedCheckpoint, SaveCheckpointOptions } from './checkpoint/checkpoint.js';
export { writeFileAtomic } from './checkpoint/write-file-atomic.js';
export type { WriteFileAtomicOptions } from './checkpoint/write-file-atomic.js';

// Run folders: one run at a time per output folder.
export { lockRunFolder } from './run/lock-run-folder.js';
export type { LockRunFolderOptions, RunFolderLock } from './run/lock-run-folder.js';

// Training loop.
export { latestCheckpoint, trainLoop } from './train/train-loop.js';
export type { Resumable, TrainEvent, TrainLoopOptions, TrainResult } from './train/train-loop.js';
export { keepJsonLinesUpTo } from './train/keep-json-lines-up-to.js';
export { appendJsonLine, runTraining, stackTerms } from './train/run-training.js';
export { BestByValidation } from './train/best-by-validation.js';
export type { BestByValidationState, ValidationPass } from './train/best-by-validation.js';
export type { RunTrainingOptions, StepTerms, TrainingEvent, TrainingRun, TrainingStep, TrainingStepEnd } from './train/run-training.js';

// Errors.
export { UmdError } from './errors/umd-error.js';
export { BackendUnavailableError } from './errors/backend-unavailable-error.js';
export { CheckpointDamagedError } from './errors/checkpoint-damaged-error.js';
export { CheckpointFormatError } from './errors/checkpoint-format-error.js';
export { RunFolderLockedError } from './errors/run-folder-locked-error.js';
export type { RunFolderLockHolder } from './errors/run-folder-locked-error.js';
export { CheckpointMismatchError } from './errors/checkpoint-mismatch-error.js';
export { FileWriteError } from './errors/file-write-error.js';
export type { CheckpointProblem } from './errors/checkpoint-mismatch-error.js';
export { InvalidConfigError } from './errors/invalid-config-error.js';
export { NonFiniteLossError } from './errors/non-finite-loss-error.js';
export { ShapeMismatchError } from './errors/shape-mismatch-error.js';
