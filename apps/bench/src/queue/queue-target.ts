import { InvalidConfigError } from '@umd/core';

/** Where a grid's jobs live: a Redis server (one database of it) and the BullMQ queue's name there. */
export interface QueueTarget {
  /** `redis://[user:password@]HOST:PORT[/DB]` (or `rediss://` for TLS), as given. */
  readonly url: string;
  /** The URL without its password, for messages. */
  readonly display: string;
  /** The BullMQ queue name (default `umd-bench`). */
  readonly name: string;
}

/**
 * Checks a `--queue` URL.
 *
 * @throws InvalidConfigError naming `--queue` when it is not `redis://HOST:PORT[/DB]`
 */
export function parseQueueTarget(url: string, name = 'umd-bench'): QueueTarget {
  const expected = 'redis://HOST:PORT[/DB] (or rediss:// for TLS), e.g. redis://127.0.0.1:6379/0';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidConfigError('--queue', url, expected);
  }
  const database = parsed.pathname.replace(/^\//, '');
  if (!['redis:', 'rediss:'].includes(parsed.protocol) || parsed.hostname === '' || (database !== '' && !/^\d+$/.test(database))) {
    throw new InvalidConfigError('--queue', url, expected);
  }
  if (parsed.password) parsed.password = '***';
  return { url, display: `${parsed.toString()} (queue ${name})`, name };
}

/** BullMQ's connection options for a target: a worker's blocking connection must retry forever. */
export function connectionOf(target: QueueTarget): { readonly url: string; readonly maxRetriesPerRequest: null } {
  return { url: target.url, maxRetriesPerRequest: null };
}
