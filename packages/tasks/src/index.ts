/**
 * @umd/tasks: downstream heads, losses and predictions — medical VQA (classification over the answer vocabulary),
 * image-text classification and two-stage image-text retrieval — and the fine-tuning step and run. Named exports
 * only (see STYLE.md b3).
 */
// Tasks and heads.
export { taskKinds, validateTaskSpec } from './task-spec.js';
export type { TaskSpec } from './task-spec.js';
export { createTaskTuning } from './task-tuning.js';
export type {
  AttributeTargetOptions,
  ImageHeadOptions,
  ResolvedAttributeTargets,
  RetrievalTuningOptions,
  TaskHeads,
  TaskTuning,
  TaskTuningOptions,
} from './task-tuning.js';
export { AttributeHeads } from './heads/attribute-heads.js';
export { ClassifierHead } from './heads/classifier-head.js';
export { ItmHead } from '@umd/encoders'; // one head for MR pre-training and retrieval
export { RetrievalProjection } from './heads/retrieval-projection.js';
export type { RetrievalEmbeddings } from './heads/retrieval-projection.js';

// Models from checkpoints.
export { loadPretrainedModel } from './load-pretrained-model.js';
export type { LoadPretrainedModelOptions, PretrainedModel } from './load-pretrained-model.js';

// Losses, the step and predictions.
export type { TaskBatch } from './task-batch.js';
export { contrastiveLoss } from './contrastive-loss.js';
export { defaultFinetuneMultipliers, finetuneParameterGroups } from './finetune-parameter-groups.js';
export type { FinetuneMultipliers } from './finetune-parameter-groups.js';
export { finetuneStep } from './finetune-step.js';
export { classBalanceWeights } from './class-balance-weights.js';
export type { AuxiliaryLoss, FinetuneStepOptions, FinetuneStepResult, StepCoordination } from './finetune-step.js';
export { predictTask, taskLogits } from './predict-task.js';
export { offeredAnswerClasses, offeredArgMax } from './answer-choices.js';
export { fitAnswerTypeGate, gatedArgMax, questionFeatures } from './answer-type-gate.js';
export type { AnswerTypeGate, FitAnswerTypeGateOptions } from './answer-type-gate.js';
export { evaluateEnsemble } from './evaluate-ensemble.js';
export type { EnsembleMember, EvaluateEnsembleOptions } from './evaluate-ensemble.js';
export { retrievalImageEmbeddings, retrievalTextEmbeddings, scoreRetrieval } from './score-retrieval.js';
export type { QueryBank, RetrievalScores, RetrievalTexts, ScoreRetrievalOptions } from './score-retrieval.js';

// Runs and evaluation.
export { runTaskTuning } from './run-task-tuning.js';
export type {
  BestValidation,
  EvaluationEndEvent,
  GmCoordOptions,
  RunTaskTuningOptions,
  TaskLearningRate,
  TaskMetricsLine,
  TaskStepEndEvent,
  TaskTuningEvent,
  TaskTuningRun,
} from './run-task-tuning.js';
export { evaluateTask, evaluationViewCrops, loadTaskTuning, tuningFromCheckpoint } from './evaluate-task.js';
export type { EvaluateTaskOptions, EvaluationViewCount, RetrievalQueryBank, TaskEvaluation, TaskMetrics, TaskPrediction } from './evaluate-task.js';
export { attributeClasses, attributeTargets } from './task-samples.js';
export type { TaskSample } from './task-samples.js';

// Model bundles: export a tuned model into a self-contained folder, load it, ask it (Node).
export { exportModelBundle } from './bundle/export-model-bundle.js';
export type { ExportedModelBundle, ExportModelBundleOptions, ModelCardSection } from './bundle/export-model-bundle.js';
export { loadModelBundle } from './bundle/load-model-bundle.js';
export type { ModelBundle } from './bundle/load-model-bundle.js';
export { openModelBundle, sha256Hex } from './bundle/open-model-bundle.js';
export type { ModelBundleSource, OpenedModelBundle } from './bundle/open-model-bundle.js';
export { fetchModelBundle } from './bundle/fetch-model-bundle.js';
export { answerWithBundle } from './bundle/answer-with-bundle.js';
export type { AnswerOptions, BundleAnswers, BundleImageBatch, RankedClass } from './bundle/answer-with-bundle.js';
export { predictCaptionsWithBundle, predictWithBundle } from './bundle/predict-with-bundle.js';
export { rankCaptionsWithBundle } from './bundle/rank-captions.js';
export type { RankedCaption } from './bundle/rank-captions.js';
export type { BundleInput, BundlePrediction } from './bundle/predict-with-bundle.js';
export { relevanceMap } from './relevance-map.js';
export type { RelevanceMap } from './relevance-map.js';
export { modelBundleFiles, modelBundleFormat, modelBundleFormatVersion } from './bundle/model-bundle-config.js';
export type { ModelBundleChecksums, ModelBundleConfig } from './bundle/model-bundle-config.js';
export { ModelBundleError } from './bundle/model-bundle-error.js';
export type { ModelBundleProblem } from './bundle/model-bundle-error.js';
