import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';

import { silentReporter, type ProgressReporter } from '@umd/trainer';

import { assertSameGrid, benchStateFile, readBenchState, writeBenchState, type BenchState } from './bench-state.js';
import { reportPaperBenchmark } from './paper-report.js';
import type { PaperResults } from './paper-results.js';
import { createPaperUnitRunner, preparePaperBenchmark, type PaperGridSpec } from './paper-session.js';

/** Options of {@link runPaperBenchmark}: the grid, and how this process runs it. */
export interface RunPaperBenchmarkOptions extends PaperGridSpec {
  /**
   * Default true: when `<out>/bench-state.json` exists, skip its complete units and continue its partial ones (its
   * grid and profile must match). False: start over (the units folder is deleted).
   */
  readonly resume?: boolean;
  /** Aborting stops the running unit after its current step, with a checkpoint; the state says where to resume. */
  readonly signal?: AbortSignal;
  readonly progress?: ProgressReporter;
}

/** What {@link runPaperBenchmark} did. */
export interface PaperBenchmarkRun {
  /** `aborted`: the signal stopped it (resume later); `failed`: some units failed (the others ran). */
  readonly status: 'complete' | 'aborted' | 'failed';
  readonly results: PaperResults;
  /** `results.md`, as written. */
  readonly markdown: string;
  readonly resultsPath: string;
  readonly resultsJsonPath: string;
  readonly stateFile: string;
  /** Whether an earlier state was continued. */
  readonly resumed: boolean;
  /** Units worked on in this session. */
  readonly ran: readonly string[];
  /** Units complete in an earlier session, skipped. */
  readonly skipped: readonly string[];
  readonly failed: readonly string[];
  readonly seconds: number;
}

/**
 * The paper benchmark (DESIGN.md "Benchmark protocol"): the ablation grid (scratch → MR data level → MR full →
 * + TD-Calib → + GM-Coord, and the text-only floor model) on every task, each seed. Runs, through the trainer's
 * stage runners, one pre-training per MR variant (shared by every task and seed), one calibration per
 * (pre-training, task), then per (task, row, seed) a tuning run (model selection on validation only) and the
 * evaluation of its selected checkpoint on `split` (a split whose file the dataset lacks is reported, not run).
 * After every unit `<out>/bench-state.json` is written atomically; a later call continues where this one stopped.
 * Writes `<out>/results.md` and `<out>/results.json` at the end (also after an abort: what is done so far).
 *
 * @throws InvalidConfigError for an invalid profile or grid; BenchGridMismatchError when resuming into a state of
 *   another grid or profile; BenchStateError for an unreadable state file; DatasetNotFoundError for a missing dataset
 */
export async function runPaperBenchmark(options: RunPaperBenchmarkOptions): Promise<PaperBenchmarkRun> {
  const started = performance.now();
  const setup = preparePaperBenchmark(options);
  const { profile, plan, split, outDir, availability, units } = setup;
  const progress = options.progress ?? silentReporter;
  const signal = options.signal;

  // The state: continue a matching one, or start over.
  const stateFile = path.join(outDir, benchStateFile);
  const stored = await readBenchState(outDir);
  const resumed = stored !== undefined && options.resume !== false;
  let state: BenchState;
  if (stored && resumed) {
    assertSameGrid(stored, setup.grid, stateFile);
    state = stored;
  } else {
    await rm(path.join(outDir, 'units'), { recursive: true, force: true });
    state = { formatVersion: 1, grid: setup.grid, gridId: randomUUID(), startedAt: new Date().toISOString(), units: {} };
    await writeBenchState(outDir, state);
  }
  const evaluations = units.filter((unit) => unit.kind === 'evaluate').length;
  const doneBefore = Object.values(state.units).filter((unit) => unit.status === 'complete').length;
  progress.log(
    `[bench] ${profile.name} profile, ${split} split: ${plan.pretrainings.length} pre-trainings, ${plan.calibrations.length} calibrations, ` +
      `${plan.tunings.length} tuning cells (${plan.tasks.length} tasks × ${plan.rows.length} rows × ${plan.seeds.length} seeds, ${plan.skipped.length} n/a), ` +
      `${evaluations} evaluations; out ${outDir}${resumed ? `; resuming (${doneBefore} units complete)` : ''}`,
  );
  for (const task of plan.tasks) if (!availability[task].available) progress.log(`[bench] ${task}: ${(availability[task] as { reason: string }).reason}`);

  const runner = createPaperUnitRunner(setup, { ...(signal ? { signal } : {}), progress });
  await runner.ready(); // a failure here (a missing corpus) stops the benchmark before any unit
  const ran: string[] = [];
  const skipped: string[] = [];
  const failed: string[] = [];
  let aborted = false;
  for (const [index, unit] of units.entries()) {
    const outcome = await runner.run(unit, state, `${index + 1}/${units.length}: ${unit.id}`);
    state = outcome.state;
    if (outcome.kind === 'skipped') skipped.push(unit.id);
    else if (outcome.kind !== 'blocked') ran.push(unit.id); // blocked: a unit it needs failed (reported in its table)
    if (outcome.kind === 'failed' || outcome.kind === 'busy') failed.push(unit.id);
    if (outcome.kind === 'aborted') {
      aborted = true;
      break;
    }
  }

  const report = await reportPaperBenchmark(setup, state, { progress, taskData: runner.taskData });
  return {
    status: aborted ? 'aborted' : failed.length > 0 ? 'failed' : 'complete',
    ...report,
    stateFile,
    resumed,
    ran,
    skipped,
    failed,
    seconds: (performance.now() - started) / 1000,
  };
}
