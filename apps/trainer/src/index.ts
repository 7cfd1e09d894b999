/**
 * @umd/trainer: the `umd-train` command. Programmatic entry points (apps/bench reuses the config loading and the
 * stage runners). Named exports only.
 */
// Configs.
export { datasetNames, evaluationSplits, pipelineConfigSchema, stageNames } from './config/pipeline-config-schema.js';
export type { DatasetName, EvaluationSplit, PipelineConfig, PipelineConfigInput, StageName } from './config/pipeline-config-schema.js';
export { loadPipelineConfig, parsePipelineConfig } from './config/load-pipeline-config.js';
export { defaultConfigName, readyConfigDir, readyConfigs, resolveConfigPath } from './config/ready-configs.js';
export type { ReadyConfig } from './config/ready-configs.js';
export { resolveModelConfig } from './config/resolve-model-config.js';
export { resolveMrPretrainConfig } from './config/resolve-mr-pretrain-config.js';
export { taskTuningSettings } from './config/task-tuning-settings.js';
export type { TaskTuningSettings } from './config/task-tuning-settings.js';
export { configReference } from './config/config-reference.js';

// Data.
export { loadPretrainCorpus, loadTaskData, resolveDatasetRoot } from './datasets.js';
export type { TaskData, TaskSample } from './datasets.js';

// Stages and the pipeline.
export { createStageContext, stageImageSettings } from './stages/stage-context.js';
export type { PipelineOptions, StageContext, StageImageSettings } from './stages/stage-context.js';
export { runPipeline, stageRunners } from './stages/run-pipeline.js';
export type { PipelineRun, RunPipelineOptions } from './stages/run-pipeline.js';
export type { StageOutcome } from './stages/run-stage.js';
export { differencesOf } from './stages/run-stage.js';
export { runPretrainStage } from './stages/run-pretrain-stage.js';
export type { PretrainResult } from './stages/run-pretrain-stage.js';
export { runCalibrateStage } from './stages/run-calibrate-stage.js';
export type { CalibrateResult } from './stages/run-calibrate-stage.js';
export { runFinetuneStage } from './stages/run-finetune-stage.js';
export type { FinetuneResult } from './stages/run-finetune-stage.js';
export { runEvaluateStage } from './stages/run-evaluate-stage.js';
export type { EvaluateResult } from './stages/run-evaluate-stage.js';
export type { MetricValue, SplitScores } from './stages/split-scores.js';
export { textOnlyFloor } from './stages/text-only-floor.js';
export type { Floor } from './stages/text-only-floor.js';
export { readPipelineState, pipelineStateFile } from './stages/pipeline-state.js';
export type { PipelineState, StageRecord, StageStatus } from './stages/pipeline-state.js';

// Report.
export { writeReport } from './report/write-report.js';
export type { ReportSummary } from './report/write-report.js';

// Progress.
export { silentReporter } from './progress/progress-reporter.js';
export type { ProgressReporter } from './progress/progress-reporter.js';
export { createPlainReporter } from './progress/plain-reporter.js';
export type { PlainReporterOptions } from './progress/plain-reporter.js';
export { createTtyReporter } from './progress/tty-reporter.js';

// Errors.
export { ConfigError } from './errors/config-error.js';
export { DataSkipError } from './errors/data-skip-error.js';
export type { ConfigIssue } from './errors/config-error.js';
export { PipelineStateError } from './errors/pipeline-state-error.js';
export { StageConfigMismatchError } from './errors/stage-config-mismatch-error.js';
export { StageInputError } from './errors/stage-input-error.js';

// The runtime check.
export { runSmoke } from './smoke.js';
export type { SmokeOptions } from './smoke.js';
