import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';

import lockfile from 'proper-lockfile';

import { fileSystemReason } from '../errors/file-system-reason.js';
import { FileWriteError } from '../errors/file-write-error.js';
import { RunFolderLockedError, type RunFolderLockHolder } from '../errors/run-folder-locked-error.js';
import { processRuns } from './process-runs.js';

/** Options of {@link lockRunFolder}. */
export interface LockRunFolderOptions {
  /** Receives what the lock did besides taking it (a stale lock taken over, a lock lost while running). */
  readonly onLog?: (line: string) => void;
  /** Milliseconds without a refresh after which a holder counts as gone (another machine, a frozen process). Default 30 s. */
  readonly staleMs?: number;
}

/** A held lock; `release()` gives it back (also done at process exit). */
export interface RunFolderLock {
  readonly dir: string;
  release(): Promise<void>;
}

const lockName = '.umd-lock';
const ownerName = '.umd-lock-owner.json';

/**
 * Takes the exclusive lock of a run's output folder `dir` (created when missing), so that two runs never write into
 * one folder: the lock is a `<dir>/.umd-lock` directory kept fresh while this process runs (`proper-lockfile`), and
 * `<dir>/.umd-lock-owner.json` says who holds it. A lock whose holder is gone — its process no longer runs on this
 * host, or it stopped refreshing the lock for `staleMs` — is taken over, with a line through `onLog`.
 *
 * @throws RunFolderLockedError naming the holder (pid, host, start time, command) when a live run holds the lock;
 *   FileWriteError naming the folder and the cause in words (read-only file system, permission denied, no space, a
 *   file in the way) when it cannot be created or written
 */
export async function lockRunFolder(dir: string, options: LockRunFolderOptions = {}): Promise<RunFolderLock> {
  const resolved = path.resolve(dir);
  try {
    await createFolder(resolved);
  } catch (error) {
    throw new FileWriteError(resolved, `Cannot create the output folder ${resolved}: ${fileSystemReason(error)}`, { cause: error });
  }
  const ownerFile = path.join(resolved, ownerName);
  const lockOptions = {
    lockfilePath: path.join(resolved, lockName),
    stale: options.staleMs ?? 30_000,
    retries: 0,
    onCompromised: (error: Error) =>
      options.onLog?.(`[lock] the lock of ${resolved} was lost while running (${error.message}); another run may now write there`),
  };
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(resolved, lockOptions);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') {
      throw new FileWriteError(resolved, `Cannot lock the output folder ${resolved}: ${fileSystemReason(error)}`, { cause: error });
    }
    const holder = await readHolder(ownerFile);
    if (!(holder && holder.host === hostname() && !processRuns(holder.pid))) throw new RunFolderLockedError(resolved, holder);
    options.onLog?.(`[lock] took over the lock of ${resolved} from pid ${holder.pid} (started ${holder.startedAt}), which no longer runs`);
    await rm(lockOptions.lockfilePath, { recursive: true, force: true });
    try {
      release = await lockfile.lock(resolved, lockOptions);
    } catch (retryError) {
      if ((retryError as NodeJS.ErrnoException).code !== 'ELOCKED') throw retryError;
      throw new RunFolderLockedError(resolved, await readHolder(ownerFile));
    }
  }
  const holder: RunFolderLockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command: process.argv.slice(1).join(' ') };
  try {
    await writeFile(ownerFile, `${JSON.stringify(holder)}\n`);
  } catch (error) {
    await release();
    throw new FileWriteError(ownerFile, `Cannot write ${ownerFile}: ${fileSystemReason(error)}`, { cause: error });
  }
  return {
    dir: resolved,
    release: async () => {
      await rm(ownerFile, { force: true });
      await release();
    },
  };
}

/**
 * `mkdir -p`, but failing with the real cause: a recursive mkdir under a read-only mount reports ENOENT for the
 * missing parent, so on ENOENT the folders are created one by one and the first failure is thrown.
 */
async function createFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const chain: string[] = [];
    for (let current = dir; path.dirname(current) !== current; current = path.dirname(current)) chain.unshift(current);
    for (const folder of chain) {
      try {
        await mkdir(folder);
      } catch (stepError) {
        if ((stepError as NodeJS.ErrnoException).code !== 'EEXIST') throw stepError;
      }
    }
  }
}

async function readHolder(file: string): Promise<RunFolderLockHolder | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as RunFolderLockHolder;
  } catch {
    return undefined; // taken a moment ago, owner not written yet (or removed by hand)
  }
}
