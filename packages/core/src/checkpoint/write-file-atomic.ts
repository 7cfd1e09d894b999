import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { fileSystemReason } from '../errors/file-system-reason.js';
import { FileWriteError } from '../errors/file-write-error.js';

/** Options of {@link writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /** Test seams. `writeFile` writes all of `data` into the open temp file (default: `handle.writeFile(data)`). */
  _internal?: { writeFile?: (handle: FileHandle, data: Uint8Array) => Promise<void> };
}

/**
 * Writes `data` to `path` so that readers see either the previous file or the complete new one, never a torn
 * write: the bytes go to a temp file in the same directory (`.<basename>.tmp-<pid>-<random>`), which is fsynced and
 * renamed over `path`; then the directory is fsynced so the rename survives a power loss. Parent directories are
 * created. On failure the temp file is removed and any previous file at `path` is left untouched.
 *
 * @param data bytes, or a string written as UTF-8
 * @throws FileWriteError naming `path`, with the underlying error as `cause`
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, options: WriteFileAtomicOptions = {}): Promise<void> {
  const directory = dirname(path);
  const temp = join(directory, `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const writeFile = options._internal?.writeFile ?? ((handle: FileHandle, contents: Uint8Array) => handle.writeFile(contents));
  let handle: FileHandle | undefined;
  try {
    await mkdir(directory, { recursive: true });
    handle = await open(temp, 'wx');
    await writeFile(handle, bytes);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (error) {
    // Best-effort cleanup: the error that matters is the one being rethrown.
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true }).catch(() => undefined);
    throw new FileWriteError(path, `Could not write ${path}: ${fileSystemReason(error)}`, { cause: error });
  }
  try {
    await syncDirectory(directory);
  } catch (error) {
    const message = `Wrote ${path}, but could not fsync ${directory}; the rename may not survive a power loss: ${fileSystemReason(error)}`;
    throw new FileWriteError(path, message, { cause: error });
  }
}

/** fsyncs a directory so a rename inside it is durable; skipped where the platform cannot open directories. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(directory, 'r');
  } catch (error) {
    if (process.platform === 'win32') return; // Windows cannot open a directory for fsync
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EPERM') throw error; // file systems without directory fsync
  } finally {
    await handle.close();
  }
}
