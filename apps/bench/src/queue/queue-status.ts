import { Queue, type Job, type JobType } from 'bullmq';

import { QueueGridNotFoundError } from '../errors/queue-grid-not-found-error.js';
import { formatSeconds } from '../paper/render-paper-results.js';
import type { UnitJobResult } from './bench-worker.js';
import { reportJobId } from './enqueue-paper-grid.js';
import { readQueuedGrid, type QueuedGrid } from './queued-grid.js';
import { connectionOf, type QueueTarget } from './queue-target.js';

/** Where a unit's job is. `waiting` covers ready jobs, jobs delayed (upstream not done, or a retry's back-off) and evaluations waiting for their tuning run. */
export type UnitJobState = 'waiting' | 'active' | 'completed' | 'failed';

/** One unit's job. */
export interface UnitJobStatus {
  readonly id: string;
  readonly state: UnitJobState;
  /** BullMQ's own state (`delayed`, `waiting-children`, …). */
  readonly detail: string;
  /** Completed units: wall-clock seconds of the unit over every try. */
  readonly seconds?: number;
  readonly tries: number;
  readonly error?: string;
}

/** A queued grid's progress. */
export interface QueueStatus {
  readonly grid: QueuedGrid;
  readonly counts: Readonly<Record<UnitJobState, number>>;
  readonly units: readonly UnitJobStatus[];
  /** The report job's BullMQ state. */
  readonly report: string;
  readonly workers: number;
  /** Remaining unit time over the workers connected now, from the mean time of the finished units of each kind; undefined before any finished and once none remains. */
  readonly etaSeconds?: number;
}

const bullStates: readonly JobType[] = ['waiting', 'prioritized', 'delayed', 'waiting-children', 'active', 'completed', 'failed'];

/**
 * The progress of the grid in a queue: its units' jobs by state, per-unit times, the workers connected and an ETA.
 *
 * @throws QueueGridNotFoundError when the queue holds no grid
 */
export async function queueStatus(target: QueueTarget): Promise<QueueStatus> {
  const grid = await readQueuedGrid(target);
  if (!grid) throw new QueueGridNotFoundError(target.display);
  const queue = new Queue(target.name, { connection: connectionOf(target) });
  try {
    const seen = new Map<string, { job: Job; state: JobType }>();
    for (const state of bullStates) for (const job of await queue.getJobs([state], 0, -1)) if (job?.id) seen.set(job.id, { job, state });
    const units = grid.units.map((id): UnitJobStatus => {
      const entry = seen.get(id);
      if (!entry) return { id, state: 'waiting', detail: 'not found', tries: 0 };
      const { job, state } = entry;
      const mapped: UnitJobState = state === 'active' || state === 'completed' || state === 'failed' ? state : 'waiting';
      const value = job.returnvalue as UnitJobResult | undefined;
      return {
        id,
        state: mapped,
        detail: state,
        ...(state === 'completed' && value ? { seconds: value.seconds } : {}),
        tries: job.attemptsMade,
        ...(state === 'failed' && job.failedReason ? { error: job.failedReason } : {}),
      };
    });
    const counts: Record<UnitJobState, number> = { waiting: 0, active: 0, completed: 0, failed: 0 };
    for (const unit of units) counts[unit.state] += 1;
    const workers = (await queue.getWorkers()).length;
    return { grid, counts, units, report: await queue.getJobState(reportJobId(grid.split)), workers, ...eta(units, workers) };
  } finally {
    await queue.close();
  }
}

/** The remaining units' time: per kind (the id's first part), the mean of the finished ones of that kind, else of all. */
function eta(units: readonly UnitJobStatus[], workers: number): { etaSeconds?: number } {
  const kindOf = (id: string): string => id.split('/')[0]!;
  const finished = units.filter((unit) => unit.state === 'completed' && unit.seconds !== undefined && unit.seconds > 0);
  if (finished.length === 0 || !units.some((unit) => unit.state === 'waiting' || unit.state === 'active')) return {};
  const mean = (list: readonly UnitJobStatus[]): number => list.reduce((sum, unit) => sum + unit.seconds!, 0) / list.length;
  const overall = mean(finished);
  const remaining = units
    .filter((unit) => unit.state === 'waiting' || unit.state === 'active')
    .reduce((sum, unit) => {
      const same = finished.filter((done) => kindOf(done.id) === kindOf(unit.id));
      return sum + (same.length > 0 ? mean(same) : overall);
    }, 0);
  return { etaSeconds: remaining / Math.max(1, workers) };
}

/** The status as `umd-bench status` prints it: the four counts first (`waiting N`), then the units. */
export function renderQueueStatus(status: QueueStatus): string {
  const { grid, counts } = status;
  const waitingDetail = ['delayed', 'waiting-children']
    .map((detail) => [detail, status.units.filter((unit) => unit.detail === detail).length] as const)
    .filter(([, n]) => n > 0)
    .map(([detail, n]) => `${n} ${detail === 'delayed' ? 'delayed (upstream not done, or a retry’s back-off)' : 'waiting for their tuning run'}`);
  const lines = [
    `grid ${grid.gridId}: ${grid.profile.name} profile, ${grid.split} split, ${grid.units.length} units; out ${grid.outDir}`,
    `waiting ${counts.waiting}${waitingDetail.length > 0 ? ` (${waitingDetail.join(', ')})` : ''}`,
    `active ${counts.active}`,
    `completed ${counts.completed}`,
    `failed ${counts.failed}`,
    `workers ${status.workers}; report ${status.report}${status.etaSeconds === undefined ? '' : `; ETA ${formatSeconds(status.etaSeconds)} (mean time of the finished units of each kind, over the workers connected now)`}`,
    '',
  ];
  for (const unit of status.units) {
    const time = unit.seconds === undefined ? '' : ` ${formatSeconds(unit.seconds)}`;
    const tries = unit.tries > 1 ? ` (${unit.tries} tries)` : '';
    lines.push(`  ${unit.state.padEnd(9)} ${unit.id}${time}${tries}${unit.error ? `: ${unit.error}` : ''}`);
  }
  return lines.join('\n');
}
