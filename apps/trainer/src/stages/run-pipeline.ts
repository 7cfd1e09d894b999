import { lockRunFolder } from '@umd/core';

import { stageNames, type StageName } from '../config/pipeline-config-schema.js';
import { writeReport, type ReportSummary } from '../report/write-report.js';
import { runCalibrateStage } from './run-calibrate-stage.js';
import { runEvaluateStage } from './run-evaluate-stage.js';
import { runFinetuneStage } from './run-finetune-stage.js';
import { runPretrainStage } from './run-pretrain-stage.js';
import type { StageOutcome } from './run-stage.js';
import { createStageContext, type PipelineOptions, type StageContext } from './stage-context.js';

/** The stage runners by name (apps/bench composes them itself). */
export const stageRunners: Readonly<Record<StageName, (context: StageContext) => Promise<StageOutcome<unknown>>>> = {
  pretrain: runPretrainStage,
  calibrate: runCalibrateStage,
  finetune: runFinetuneStage,
  evaluate: runEvaluateStage,
};

/** Options of {@link runPipeline}. */
export interface RunPipelineOptions extends PipelineOptions {
  /** Which stages to run, in pipeline order. Default: the config's `stages`. */
  readonly stages?: readonly StageName[];
}

/** What {@link runPipeline} did. */
export interface PipelineRun {
  readonly outcomes: readonly StageOutcome<unknown>[];
  /** The stage a signal stopped, if any (later stages did not run). */
  readonly abortedAt?: StageName;
  /** The report written after the stages (also after an abort: it shows what is complete). */
  readonly report: ReportSummary;
}

/**
 * Runs stages in pipeline order (pretrain → calibrate → finetune → evaluate), each reading what the earlier ones
 * recorded in `<out>/pipeline.json`, then writes `<out>/report/`. A stage stopped by the signal ends the run after
 * its checkpoint; `resume: true` continues it later and skips the complete ones. The run holds the lock of `<out>`
 * throughout (`lockRunFolder`): a second run into the same folder is refused before it touches anything.
 *
 * @throws RunFolderLockedError when another run holds `<out>`; ConfigError, DatasetNotFoundError, StageInputError,
 *   StageConfigMismatchError and the packages' typed errors
 */
export async function runPipeline(options: RunPipelineOptions): Promise<PipelineRun> {
  const context = createStageContext(options);
  const lock = await lockRunFolder(context.outDir, { onLog: (line) => context.progress.log(line) });
  try {
    return await runStages(context, options);
  } finally {
    await lock.release();
  }
}

async function runStages(context: StageContext, options: RunPipelineOptions): Promise<PipelineRun> {
  const wanted = options.stages ?? options.config.stages;
  const outcomes: StageOutcome<unknown>[] = [];
  let abortedAt: StageName | undefined;
  for (const stage of stageNames.filter((name) => wanted.includes(name))) {
    if (context.signal?.aborted) {
      abortedAt = stage;
      break;
    }
    const outcome = await stageRunners[stage](context);
    outcomes.push(outcome);
    if (outcome.status === 'aborted') {
      abortedAt = stage;
      break;
    }
  }
  const report = await writeReport({ outDir: context.outDir });
  return { outcomes, ...(abortedAt ? { abortedAt } : {}), report };
}
