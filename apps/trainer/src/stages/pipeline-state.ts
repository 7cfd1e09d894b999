import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { writeFileAtomic } from '@umd/core';

import type { PipelineConfig, StageName } from '../config/pipeline-config-schema.js';
import { stageNames } from '../config/pipeline-config-schema.js';
import { PipelineStateError } from '../errors/pipeline-state-error.js';

/**
 * How far a stage got. `running`: started and not finished (killed, or still running); `aborted`: stopped by a signal
 * after a checkpoint; `failed`: it threw (the record keeps the error). All but `complete` continue with `--resume`.
 */
export type StageStatus = 'running' | 'complete' | 'aborted' | 'failed';

/** One stage's entry in `pipeline.json`. */
export interface StageRecord<R = unknown> {
  readonly status: StageStatus;
  readonly startedAt: string;
  readonly finishedAt?: string;
  /** Wall-clock seconds of the last session (a resumed stage counts only the resumed part). */
  readonly seconds?: number;
  /** The config sections this stage depends on, as they were when it started (checked on resume). */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** What the stage decided before running (e.g. pre-training steps from a time budget), reused on resume. */
  readonly plan?: Readonly<Record<string, unknown>>;
  /** The stage's result (paths relative to the output folder), once complete or aborted. */
  readonly result?: R;
  /** `UMD_<Name>: message` of the error a failed stage threw. */
  readonly error?: string;
}

/** `<out>/pipeline.json`: the config and every stage's record. */
export interface PipelineState {
  readonly formatVersion: 1;
  readonly config: PipelineConfig;
  readonly stages: Readonly<Partial<Record<StageName, StageRecord>>>;
}

/** The file's name inside the output folder. */
export const pipelineStateFile = 'pipeline.json';

/**
 * Reads `<outDir>/pipeline.json`; undefined when there is none.
 *
 * @throws PipelineStateError when the file exists but is not a pipeline state
 */
export async function readPipelineState(outDir: string): Promise<PipelineState | undefined> {
  const file = path.join(outDir, pipelineStateFile);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new PipelineStateError(file, `cannot be read: ${(error as Error).message}`, { cause: error });
  }
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch (error) {
    throw new PipelineStateError(file, `is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (typeof state !== 'object' || state === null || (state as { formatVersion?: unknown }).formatVersion !== 1) {
    throw new PipelineStateError(file, 'is not a pipeline state of format version 1');
  }
  return state as PipelineState;
}

/** Writes the state atomically (readers see the old file or the new one, never half). */
export async function writePipelineState(outDir: string, state: PipelineState): Promise<void> {
  await writeFileAtomic(path.join(outDir, pipelineStateFile), `${JSON.stringify(state, null, 2)}\n`);
}

/**
 * Sets one stage's record (the other stages' are kept) and the current config. With `invalidateLater`, the records
 * of the stages after it are dropped: their inputs are about to change.
 */
export async function recordStage(
  outDir: string,
  config: PipelineConfig,
  stage: StageName,
  record: StageRecord,
  options: { invalidateLater?: boolean } = {},
): Promise<void> {
  const previous = (await readPipelineState(outDir))?.stages ?? {};
  const later = stageNames.slice(stageNames.indexOf(stage) + 1);
  const stages: Partial<Record<StageName, StageRecord>> = {};
  for (const name of stageNames) {
    if (name === stage) stages[name] = record;
    else if (!(options.invalidateLater && later.includes(name)) && previous[name]) stages[name] = previous[name];
  }
  await writePipelineState(outDir, { formatVersion: 1, config, stages });
}
