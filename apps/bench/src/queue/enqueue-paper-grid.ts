import { randomUUID } from 'node:crypto';

import { differencesOf, silentReporter, type ProgressReporter } from '@umd/trainer';
import { FlowProducer, type FlowJob } from 'bullmq';

import { QueueGridMismatchError } from '../errors/queue-grid-mismatch-error.js';
import { assertSameGrid, benchStateFile, readBenchState, writeBenchState, type BenchState } from '../paper/bench-state.js';
import { paperVariants } from '../paper/paper-grid.js';
import { createPaperUnitRunner, preparePaperBenchmark, type PaperGridSpec } from '../paper/paper-session.js';
import type { PaperUnit } from '../paper/paper-units.js';
import { queuedGridKey, withRedis, type QueuedGrid } from './queued-grid.js';
import { connectionOf, type QueueTarget } from './queue-target.js';

/** Options of {@link enqueuePaperGrid}. */
export interface EnqueuePaperGridOptions extends PaperGridSpec {
  readonly queue: QueueTarget;
  /** Tries per unit before it is reported failed (the rest of the grid goes on). Default 3. */
  readonly attempts?: number;
  /** First retry delay; doubled for each further try. Default 30 s. */
  readonly backoffMs?: number;
  readonly progress?: ProgressReporter;
}

/** What {@link enqueuePaperGrid} did. */
export interface EnqueuedGrid {
  readonly grid: QueuedGrid;
  /** False: the queue already held this grid (nothing was added). */
  readonly added: boolean;
  /** Units already complete in the output folder (their jobs finish at once). */
  readonly completeBefore: number;
}

/** A unit's job id: the unit id (`tune/vqa-rad/scratch/seed-0`). The report's: `report/<split>`. */
export function reportJobId(split: string): string {
  return `report/${split}`;
}

/**
 * Enqueues a grid as one BullMQ flow. BullMQ flows are trees (a job has at most one parent), while the grid's shared
 * units (a pre-training, a calibration) are needed by many: so the tree holds what is one-to-one — each evaluation's
 * child is its tuning run, and the root `report/<split>` job (which writes `results.md` when everything under it has
 * finished or failed for good) has every pre-training, calibration and evaluation as children — and a worker that
 * picks a unit whose shared upstream is not complete yet puts it back, delayed, until it is (see `runBenchWorker`).
 * Every job may fail `attempts` times before it is reported failed; a failed job does not hold up the rest.
 *
 * Creates the output folder's state (with a new grid id) or continues the matching one there, and trains or loads the
 * grid's vocabulary once before any worker starts.
 *
 * @throws QueueGridMismatchError when the queue holds a grid with other settings; BenchGridMismatchError when the
 *   output folder holds another grid; InvalidConfigError / DatasetNotFoundError as `runPaperBenchmark`
 */
export async function enqueuePaperGrid(options: EnqueuePaperGridOptions): Promise<EnqueuedGrid> {
  const setup = preparePaperBenchmark(options);
  const { outDir, split, grid } = setup;
  const progress = options.progress ?? silentReporter;
  const { queue } = options;
  const attempts = options.attempts ?? 3;
  const backoffMs = options.backoffMs ?? 30_000;

  let state = await readBenchState(outDir);
  if (state) assertSameGrid(state, grid, `${outDir}/${benchStateFile}`);
  state ??= { formatVersion: 1, grid, startedAt: new Date().toISOString(), units: {} } satisfies BenchState;
  if (state.gridId === undefined) state = { ...state, gridId: randomUUID() };
  await writeBenchState(outDir, state);
  const gridId = state.gridId!;
  await createPaperUnitRunner(setup, { progress }).ready(); // the shared vocabulary, once, before any worker

  const queued: QueuedGrid = {
    formatVersion: 1,
    gridId,
    outDir,
    profile: setup.profile,
    data: setup.unitOptions.data,
    tasks: setup.plan.tasks,
    variants: paperVariants.filter((variant) => setup.plan.rows.includes(variant)),
    seeds: setup.plan.seeds.length,
    floors: setup.plan.rows.includes('text-only'),
    split,
    grid,
    units: setup.units.map((unit) => unit.id),
    createdAt: new Date().toISOString(),
  };
  const completeBefore = setup.units.filter((unit) => state.units[unit.id]?.status === 'complete').length;
  const stored = await withRedis(queue, async (redis) => {
    const key = queuedGridKey(queue);
    const claimed = await redis.set(key, JSON.stringify(queued), 'NX');
    return claimed === 'OK' ? undefined : (JSON.parse((await redis.get(key)) ?? 'null') as QueuedGrid | null);
  });
  if (stored) {
    const identity = (entry: QueuedGrid) => ({ grid: entry.grid, outDir: entry.outDir, split: entry.split, gridId: entry.gridId });
    const differences = differencesOf(identity(stored), identity(queued), 'queue');
    if (differences.length > 0) throw new QueueGridMismatchError(queue.display, differences);
    return { grid: stored, added: false, completeBefore };
  }

  const jobOf = (unit: PaperUnit, children?: FlowJob[]): FlowJob => ({
    name: unit.kind,
    queueName: queue.name,
    data: { gridId, unit: unit.id },
    opts: {
      jobId: unit.id,
      attempts,
      backoff: { type: 'exponential', delay: backoffMs },
      ignoreDependencyOnFailure: true, // a unit failed for good does not hold up its parent (the report, an evaluation)
      removeOnComplete: false,
      removeOnFail: false,
    },
    ...(children ? { children } : {}),
  });
  const evaluated = new Set(setup.units.flatMap((unit) => (unit.kind === 'evaluate' ? [unit.tune.id] : [])));
  const children = setup.units.flatMap((unit): FlowJob[] => {
    if (unit.kind === 'evaluate') return [jobOf(unit, [jobOf(unit.tune)])];
    if (unit.kind === 'tune' && evaluated.has(unit.id)) return []; // under its evaluation
    return [jobOf(unit)];
  });
  const producer = new FlowProducer({ connection: connectionOf(queue) });
  try {
    await producer.add({
      name: 'report',
      queueName: queue.name,
      data: { gridId },
      opts: { jobId: reportJobId(split), attempts, backoff: { type: 'exponential', delay: backoffMs }, removeOnComplete: false, removeOnFail: false },
      children,
    });
  } catch (error) {
    await withRedis(queue, (redis) => redis.del(queuedGridKey(queue))); // nothing enqueued: the next call may try again
    throw error;
  } finally {
    await producer.close();
  }
  return { grid: queued, added: true, completeBefore };
}
