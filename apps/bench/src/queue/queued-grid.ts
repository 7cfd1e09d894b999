import { Redis } from 'ioredis';

import { QueueConnectionError } from '../errors/queue-connection-error.js';
import type { BenchGridIdentity } from '../paper/bench-state.js';
import type { PaperTask, PaperVariant } from '../paper/paper-grid.js';
import type { PaperProfile } from '../paper/paper-profile.js';
import type { ReportSplit } from '../paper/split-availability.js';
import type { BenchDataSource } from '../paper/unit-config.js';
import type { QueueTarget } from './queue-target.js';

/** The grid a queue runs, as stored beside its jobs: what any worker needs to rebuild every unit. */
export interface QueuedGrid {
  readonly formatVersion: 1;
  /** The id in `<outDir>/bench-state.json`: a worker refuses a folder whose state has another. */
  readonly gridId: string;
  /** Absolute: every worker must see it at this path. */
  readonly outDir: string;
  readonly profile: PaperProfile;
  readonly data: BenchDataSource;
  readonly tasks: readonly PaperTask[];
  readonly variants: readonly PaperVariant[];
  readonly seeds: number;
  readonly floors: boolean;
  readonly split: ReportSplit;
  /** What the state file matches. */
  readonly grid: BenchGridIdentity;
  /** Every unit's id (the jobs' ids), in the order one process would run them. */
  readonly units: readonly string[];
  readonly createdAt: string;
}

/** The Redis key holding a queue's grid (beside BullMQ's `bull:<name>:*` keys). */
export function queuedGridKey(target: QueueTarget): string {
  return `umd-bench:${target.name}:grid`;
}

/**
 * A short-lived Redis connection for the grid record; closed by `use`'s end.
 *
 * @throws QueueConnectionError when the server cannot be reached
 */
export async function withRedis<T>(target: QueueTarget, use: (redis: Redis) => Promise<T>): Promise<T> {
  let lastError: Error | undefined;
  const redis = new Redis(target.url, { maxRetriesPerRequest: 3, lazyConnect: true, retryStrategy: () => null });
  redis.on('error', (error: Error) => (lastError = error)); // connection errors also reject the command that meets them
  try {
    try {
      await redis.connect();
    } catch (error) {
      throw new QueueConnectionError(target.display, (lastError ?? (error as Error)).message, { cause: error });
    }
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** The queue's grid, or undefined when none was enqueued. */
export async function readQueuedGrid(target: QueueTarget): Promise<QueuedGrid | undefined> {
  return withRedis(target, async (redis) => {
    const text = await redis.get(queuedGridKey(target));
    return text === null ? undefined : (JSON.parse(text) as QueuedGrid);
  });
}
