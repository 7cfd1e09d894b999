import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { writeFileAtomic } from '@umd/core';
import lockfile from 'proper-lockfile';
import { differencesOf, type Floor, type MetricValue } from '@umd/trainer';

import { BenchGridMismatchError } from '../errors/bench-grid-mismatch-error.js';
import { BenchStateError } from '../errors/bench-state-error.js';
import type { PaperRow, PaperTask } from './paper-grid.js';
import type { PaperProfile } from './paper-profile.js';

/** What identifies a benchmark: resuming is allowed only into a state file with the same identity. */
export interface BenchGridIdentity {
  /** The resolved profile (every budget number). */
  readonly profile: PaperProfile;
  readonly tasks: readonly PaperTask[];
  readonly rows: readonly PaperRow[];
  readonly seeds: readonly number[];
  /** The absolute data folder, or `phantom`. */
  readonly data: string;
}

/** How far a unit got. Only `complete` units are skipped on resume; the others continue from their checkpoints. */
export type UnitStatus = 'running' | 'complete' | 'aborted' | 'failed';

/** One unit's entry in the state file. */
export interface UnitRecord<R = unknown> {
  readonly status: UnitStatus;
  /** Wall-clock seconds over every session that worked on it. */
  readonly seconds: number;
  readonly updatedAt: string;
  /** Present once complete (or aborted with a partial result). */
  readonly result?: R;
  /** `UMD_<Name>: message` of a failed unit. */
  readonly error?: string;
  /** Where a complete unit ran (absent in units completed before units kept it). */
  readonly provenance?: UnitProvenance;
}

/** The code, machine and command a unit ran with: what a results-ledger record of it says. */
export interface UnitProvenance {
  /** `git rev-parse HEAD` (`+dirty` with uncommitted changes) when the unit started. */
  readonly commit: string;
  /** CPU, cores and backend (`machineDescription` of @umd/core). */
  readonly machine: string;
  /** The `umd-bench` command line of the process that ran it (`paper …` or `worker …`). */
  readonly command: string;
}

/** A pre-training's result. Paths are relative to the benchmark's output folder. */
export interface PretrainUnitResult {
  readonly checkpoint: string;
  readonly steps: number;
  readonly plannedSteps: number;
  readonly stoppedBy: 'steps' | 'budget';
}

/** A calibration's result: the checkpoint tuning starts from and the MR loss on the downstream set before / after. */
export interface CalibrateUnitResult {
  readonly checkpoint: string;
  readonly steps: number;
  readonly lossBefore: number;
  readonly lossAfter: number;
}

/** A tuning run's result: the checkpoint selected on validation. */
export interface TuneUnitResult {
  readonly checkpoint: string;
  readonly start: 'scratch' | 'pretrain' | 'calibrate';
  readonly steps: number;
  /** The validation pass that selected the checkpoint: its selection metric in [0, 1]. */
  readonly best?: { readonly step: number; readonly epoch: number; readonly metric: number };
  readonly medianStepMs: number;
  readonly trainSamples: number;
  readonly validationSamples: number;
}

/** One evaluation of a selected checkpoint on one split (the test split is evaluated once). */
export interface EvaluateUnitResult {
  readonly split: 'validate' | 'test';
  readonly samples: number;
  /** Headline first; values in [0, 1], with the cell's own bootstrap interval when computed. */
  readonly metrics: Readonly<Record<string, MetricValue>>;
  readonly floor: Floor;
}

/** `<out>/bench-state.json`. */
export interface BenchState {
  readonly formatVersion: 1;
  readonly grid: BenchGridIdentity;
  /**
   * A random id given to the grid when it was created: a queued grid's jobs carry it, and a worker refuses an output
   * folder whose state has another (a folder at the same path that is not the shared one).
   */
  readonly gridId?: string;
  readonly startedAt: string;
  readonly units: Readonly<Record<string, UnitRecord>>;
}

/** The state file's name inside the output folder. */
export const benchStateFile = 'bench-state.json';

/**
 * Reads `<outDir>/bench-state.json`; undefined when there is none.
 *
 * @throws BenchStateError when the file exists but is unreadable or not a bench state of format 1
 */
export async function readBenchState(outDir: string): Promise<BenchState | undefined> {
  const file = path.join(outDir, benchStateFile);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new BenchStateError(file, `cannot be read (${(error as Error).message})`, { cause: error });
  }
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch (error) {
    throw new BenchStateError(file, `is not JSON (${(error as Error).message})`, { cause: error });
  }
  const candidate = state as Partial<BenchState> | null;
  if (typeof candidate !== 'object' || candidate === null || candidate.formatVersion !== 1 || typeof candidate.units !== 'object' || !candidate.grid) {
    throw new BenchStateError(file, 'is not a bench state of format version 1');
  }
  return candidate as BenchState;
}

/** Writes the state atomically (`writeFileAtomic`): an interrupted write leaves the previous state intact. */
export async function writeBenchState(outDir: string, state: BenchState): Promise<void> {
  await writeFileAtomic(path.join(outDir, benchStateFile), `${JSON.stringify(state, null, 2)}\n`);
}

/**
 * Checks that a stored state belongs to the benchmark asked for.
 *
 * @throws BenchGridMismatchError listing every difference (`grid.seeds: [0,1,2] -> [0]`)
 */
export function assertSameGrid(state: BenchState, grid: BenchGridIdentity, file: string): void {
  const differences = differencesOf(state.grid, grid, 'grid');
  if (differences.length > 0) throw new BenchGridMismatchError(file, differences);
}

/**
 * Records one unit in `<outDir>/bench-state.json` under a lock (`<outDir>/.bench-state.lock`, proper-lockfile: it
 * works on shared file systems), reading the file afresh first: several processes, on one machine or many, can
 * record their units in one state without losing each other's records. Returns the state as written.
 *
 * @throws BenchStateError when there is no state file to update
 */
export async function recordBenchUnit(outDir: string, id: string, record: UnitRecord): Promise<BenchState> {
  await mkdir(outDir, { recursive: true });
  const release = await lockfile.lock(outDir, {
    lockfilePath: path.join(outDir, '.bench-state.lock'),
    stale: 10_000,
    retries: { retries: 200, minTimeout: 10, maxTimeout: 250, randomize: true },
  });
  try {
    const state = await readBenchState(outDir);
    if (!state)
      throw new BenchStateError(path.join(outDir, benchStateFile), 'is missing', {
        advice: 'The grid was created in another folder (or this one was emptied).',
      });
    const next = withUnit(state, id, record);
    await writeBenchState(outDir, next);
    return next;
  } finally {
    await release();
  }
}

/** The state with one unit's record replaced (the state itself is not changed). */
export function withUnit(state: BenchState, id: string, record: UnitRecord): BenchState {
  return { ...state, units: { ...state.units, [id]: record } };
}
