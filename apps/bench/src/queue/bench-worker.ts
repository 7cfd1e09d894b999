import { silentReporter, type ProgressReporter } from '@umd/trainer';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';

import { BenchFolderMismatchError } from '../errors/bench-folder-mismatch-error.js';
import { QueueGridNotFoundError } from '../errors/queue-grid-not-found-error.js';
import { benchStateFile, readBenchState } from '../paper/bench-state.js';
import { reportPaperBenchmark } from '../paper/paper-report.js';
import { createPaperUnitRunner, preparePaperBenchmark } from '../paper/paper-session.js';
import { needsOf } from '../paper/paper-units.js';
import { formatSeconds } from '../paper/render-paper-results.js';
import { reportJobId } from './enqueue-paper-grid.js';
import { readQueuedGrid, type QueuedGrid } from './queued-grid.js';
import { connectionOf, type QueueTarget } from './queue-target.js';
import { unitScopedReporter } from './unit-scoped-reporter.js';

/** Options of {@link startBenchWorker}. */
export interface BenchWorkerOptions {
  readonly queue: QueueTarget;
  /** Units run at once in this process. Default 1 (one training per process uses about one core). */
  readonly concurrency?: number;
  /** This machine's decoded-image cache. Default `.cache/umd-images`; null for none. */
  readonly imageCache?: string | null;
  /**
   * How long a unit's job stays this worker's without a renewal (renewed every half of it; a training step blocks the
   * renewal while it runs, so this must be well above the longest step). Default 120 s.
   */
  readonly lockDurationMs?: number;
  /** How often stalled jobs (their worker died) are looked for and handed out again. Default 30 s. */
  readonly stalledIntervalMs?: number;
  /** Stalls a job survives before it is failed. Default 3. */
  readonly maxStalledCount?: number;
  /** How long a unit whose shared upstream is not complete waits before it is looked at again. Default 10 s. */
  readonly blockedDelayMs?: number;
  /** Stop once the grid's report job has finished. Default false: run until closed. */
  readonly untilDone?: boolean;
  /** Aborting stops the running units after their current step (a checkpoint is written) and hands them back. */
  readonly signal?: AbortSignal;
  readonly progress?: ProgressReporter;
}

/** A running worker. */
export interface BenchWorker {
  readonly grid: QueuedGrid;
  /** Resolves when the worker has stopped (closed, aborted, or the grid done with `untilDone`). */
  readonly closed: Promise<void>;
  close(): Promise<void>;
}

/** What a unit's job returns (stored in the job). */
export interface UnitJobResult {
  readonly unit: string;
  /** `skipped`: complete before this job ran (an earlier run, in-process or queued). */
  readonly status: 'done' | 'skipped';
  /** Wall-clock seconds over every try. */
  readonly seconds: number;
  readonly result: unknown;
}

/**
 * Starts a worker of a queued grid on this machine: it takes the grid from the queue, checks that the output folder it
 * sees at the grid's path is the grid's (same grid id in its state file), and runs units as BullMQ hands them out,
 * through the same unit runner as the in-process benchmark (a unit with a record continues from its checkpoint:
 * after a worker died, the unit BullMQ finds stalled is continued by another). A unit whose shared upstream is not
 * complete is put back, delayed by `blockedDelayMs`; one whose upstream failed for good fails without a retry. A
 * failing unit is retried by BullMQ (`attempts` of the enqueue, with back-off). The report job renders the results.
 *
 * @throws QueueGridNotFoundError when the queue holds no grid; BenchFolderMismatchError when the output folder is
 *   missing or another grid's
 */
export async function startBenchWorker(options: BenchWorkerOptions): Promise<BenchWorker> {
  const { queue: target } = options;
  const progress = options.progress ?? silentReporter;
  const grid = await readQueuedGrid(target);
  if (!grid) throw new QueueGridNotFoundError(target.display);
  const state = await readBenchState(grid.outDir);
  if (!state) throw new BenchFolderMismatchError(grid.outDir, `there is no ${benchStateFile} there`);
  if (state.gridId !== grid.gridId)
    throw new BenchFolderMismatchError(grid.outDir, `its state has grid id ${state.gridId ?? '(none)'}, the queue ${grid.gridId}`);

  const setup = preparePaperBenchmark({
    profile: grid.profile,
    data: grid.data,
    outDir: grid.outDir,
    tasks: grid.tasks,
    variants: grid.variants,
    seeds: grid.seeds,
    floors: grid.floors,
    split: grid.split,
    ...(options.imageCache === undefined ? {} : { imageCache: options.imageCache }),
  });
  const controller = new AbortController();
  options.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  // Units at once share this process: each gets its own progress phase (lines prefixed with its name).
  const scoped = (options.concurrency ?? 1) > 1 ? unitScopedReporter(progress) : undefined;
  const runner = createPaperUnitRunner(setup, { signal: controller.signal, progress: scoped?.reporter ?? progress });
  await runner.ready();
  const units = new Map(setup.units.map((unit) => [unit.id, unit]));
  const dependents = new Map<string, string[]>();
  for (const unit of setup.units) for (const need of needsOf(unit)) dependents.set(need, [...(dependents.get(need) ?? []), unit.id]);
  const connection = connectionOf(target);
  const queue = new Queue(target.name, { connection });
  const toldBlocked = new Set<string>();
  const blockedDelayMs = options.blockedDelayMs ?? 10_000;

  async function processJob(job: Job, token?: string): Promise<UnitJobResult | { readonly report: string }> {
    if (job.data?.gridId !== grid!.gridId) throw new UnrecoverableError(`job ${job.id} belongs to grid ${job.data?.gridId}, not ${grid!.gridId}`);
    if (job.name === 'report') {
      const report = await reportPaperBenchmark(setup, (await readBenchState(grid!.outDir))!, { progress, taskData: runner.taskData });
      progress.log(`[worker] report written: ${report.resultsPath} (${report.results.unitsDone} of ${report.results.unitsTotal} units done)`);
      return { report: report.resultsPath };
    }
    const unit = units.get(String(job.data.unit));
    if (!unit) throw new UnrecoverableError(`job ${job.id}: no unit ${String(job.data.unit)} in the grid`);
    const current = await readBenchState(grid!.outDir);
    if (current?.gridId !== grid!.gridId) throw new BenchFolderMismatchError(grid!.outDir, 'its state file changed to another grid');
    const run = () => runner.run(unit, current, `${unit.id} (job try ${job.attemptsMade + 1})`);
    const outcome = scoped ? await scoped.run(unit.id, run) : await run();
    switch (outcome.kind) {
      case 'done':
      case 'skipped':
        await promoteDependents(unit.id);
        return { unit: unit.id, status: outcome.kind, seconds: outcome.state.units[unit.id]?.seconds ?? 0, result: outcome.result };
      case 'failed':
        throw new Error(outcome.error); // BullMQ retries it (attempts, back-off)
      case 'busy':
        // Another worker still runs it (its job lock lapsed, e.g. a step longer than the lock): look again later.
        await job.moveToDelayed(Date.now() + blockedDelayMs, token);
        throw new DelayedError();
      case 'aborted':
        // This worker is stopping: the unit has a checkpoint; hand it back at once for another worker.
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      case 'blocked': {
        for (const need of outcome.needs) {
          if ((await queue.getJobState(need)) === 'failed') throw new UnrecoverableError(`${unit.id} needs ${need}, which failed for good`);
        }
        if (!toldBlocked.has(unit.id)) progress.log(`[worker] ${unit.id} waits for ${outcome.needs.join(', ')}`);
        toldBlocked.add(unit.id);
        await job.moveToDelayed(Date.now() + blockedDelayMs, token);
        throw new DelayedError();
      }
    }
  }

  /** The units waiting (delayed) for `id` are looked at now rather than when their delay ends. */
  async function promoteDependents(id: string): Promise<void> {
    const waiting = new Set(dependents.get(id) ?? []);
    if (waiting.size === 0) return;
    for (const job of await queue.getJobs(['delayed'], 0, -1)) {
      if (job && waiting.has(String(job.data?.unit)) && job.attemptsMade === 0) await job.promote().catch(() => undefined); // it may have moved meanwhile
    }
  }

  const worker = new Worker(target.name, processJob, {
    connection,
    concurrency: options.concurrency ?? 1,
    lockDuration: options.lockDurationMs ?? 120_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 3,
  });
  worker.on('completed', (job, value: UnitJobResult | { report: string } | undefined) => {
    if (value && 'status' in value && value.status === 'done') progress.log(`[worker] ${job.id} complete (${formatSeconds(value.seconds)} over every try)`);
  });
  worker.on('failed', (job, error) => {
    if (!job || error instanceof DelayedError || error.name === 'DelayedError') return;
    const left = (job.opts.attempts ?? 1) - job.attemptsMade;
    progress.log(
      `[worker] ${job.id} failed (try ${job.attemptsMade}): ${error.message}${left > 0 && error.name !== 'UnrecoverableError' ? `; ${left} tries left` : '; for good'}`,
    );
  });
  worker.on('error', (error) => progress.log(`[worker] ${error.message}`));

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      controller.abort();
      clearInterval(watch);
      await worker.close();
      await queue.close();
    })());
  const watch = setInterval(() => {
    if (!options.untilDone) return;
    void queue.getJobState(reportJobId(grid.split)).then(
      (status) => {
        if (status === 'completed' || status === 'failed') void close();
      },
      () => undefined, // Redis away for a moment: look again next time
    );
  }, 1000);
  options.signal?.addEventListener('abort', () => void close(), { once: true });
  await worker.waitUntilReady();
  progress.log(`[worker] grid ${grid.gridId} (${grid.profile.name} profile, ${grid.units.length} units) from ${target.display}; out ${grid.outDir}`);
  const closed = new Promise<void>((resolve) => worker.once('closed', () => resolve()));
  return { grid, closed, close };
}
