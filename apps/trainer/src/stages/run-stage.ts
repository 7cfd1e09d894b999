import { rm } from 'node:fs/promises';
import path from 'node:path';

import { stageNames, type PipelineConfig, type StageName } from '../config/pipeline-config-schema.js';
import { StageConfigMismatchError } from '../errors/stage-config-mismatch-error.js';
import { pipelineStateFile, readPipelineState, recordStage, type StageRecord } from './pipeline-state.js';
import type { StageContext } from './stage-context.js';

/** What a stage runner returns. */
export interface StageOutcome<R> {
  readonly stage: StageName;
  /** `skipped`: complete in an earlier session and skipped by `--resume` (its recorded result is returned). */
  readonly status: 'complete' | 'skipped' | 'aborted';
  readonly result: R;
  /** Wall-clock seconds of this session (0 when skipped). */
  readonly seconds: number;
}

/** What a stage body receives from {@link runStage}. */
export interface StageSession {
  /** `<out>/<stage>`, created. */
  readonly dir: string;
  /** Continue the stage's own partial output (the package's resume). */
  readonly resume: boolean;
  /** The plan recorded when the stage first started (present when resuming). */
  readonly plan: Readonly<Record<string, unknown>> | undefined;
  /** Records the plan (before the long work starts), so a resumed session reuses it. */
  savePlan(plan: Readonly<Record<string, unknown>>): Promise<void>;
}

/**
 * Runs one stage with the pipeline's bookkeeping: with `--resume`, a stage recorded complete is skipped and a partial
 * one continues (its config sections must not have changed); otherwise its folder is emptied first. The record in
 * `pipeline.json` goes `running` → `complete` (`aborted` when the signal stopped it, `failed` with the error when it
 * threw), and later stages' records are dropped, since their inputs change.
 *
 * @throws StageConfigMismatchError when resuming with a config that differs in the sections the stage depends on
 */
export async function runStage<R>(
  context: StageContext,
  stage: StageName,
  body: (session: StageSession) => Promise<{ readonly result: R; readonly aborted: boolean }>,
): Promise<StageOutcome<R>> {
  const { config, outDir, progress } = context;
  const dir = context.stageDir(stage);
  const inputs = stageInputs(config, stage);
  const previous = (await readPipelineState(outDir))?.stages[stage] as StageRecord<R> | undefined;
  let resume = false;
  if (context.resume && previous) {
    const differences = differencesOf(previous.inputs, inputs);
    if (differences.length > 0) throw new StageConfigMismatchError(stage, differences, path.join(outDir, pipelineStateFile));
    if (previous.status === 'complete' && previous.result !== undefined) {
      progress.log(`[${stage}] complete in an earlier run: skipped (--resume)`);
      return { stage, status: 'skipped', result: previous.result, seconds: 0 };
    }
    resume = true;
    progress.log(`[${stage}] continuing the ${previous.status} stage from its last checkpoint (--resume)`);
  } else {
    await rm(dir, { recursive: true, force: true });
  }

  const startedAt = new Date().toISOString();
  let plan = resume ? previous?.plan : undefined;
  const started = performance.now();
  const base = { startedAt, inputs };
  await recordStage(outDir, config, stage, { status: 'running', ...base, ...(plan ? { plan } : {}) }, { invalidateLater: true });
  const session: StageSession = {
    dir,
    resume,
    plan,
    savePlan: async (value) => {
      plan = value;
      await recordStage(outDir, config, stage, { status: 'running', ...base, plan });
    },
  };
  let outcome: { readonly result: R; readonly aborted: boolean };
  try {
    outcome = await body(session);
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    await recordStage(outDir, config, stage, { status: 'failed', ...base, finishedAt: new Date().toISOString(), ...(plan ? { plan } : {}), error: message });
    throw error;
  }
  const { result, aborted } = outcome;
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  const status = aborted ? 'aborted' : 'complete';
  await recordStage(outDir, config, stage, { status, ...base, finishedAt: new Date().toISOString(), seconds, ...(plan ? { plan } : {}), result });
  return { stage, status, result, seconds };
}

/** The config sections a stage depends on: seed, model, data and its own and every earlier stage's settings. */
export function stageInputs(config: PipelineConfig, stage: StageName): Record<string, unknown> {
  const inputs: Record<string, unknown> = { seed: config.seed, model: config.model, data: config.data };
  for (const name of stageNames.slice(0, stageNames.indexOf(stage) + 1)) inputs[name] = config[name];
  return inputs;
}

/** `finetune.epochs: 10 -> 3` for every leaf that differs (apps/bench compares its grids with it too). */
export function differencesOf(before: unknown, after: unknown, prefix = ''): string[] {
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => differencesOf(before[key], after[key], prefix === '' ? key : `${prefix}.${key}`));
  }
  const a = JSON.stringify(before);
  const b = JSON.stringify(after);
  return a === b ? [] : [`${prefix}: ${a ?? '(absent)'} -> ${b ?? '(absent)'}`];
}
