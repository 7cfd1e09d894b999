import type { FileHandle } from 'node:fs/promises';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FileWriteError } from '../errors/file-write-error.js';
import { UmdError } from '../errors/umd-error.js';
import { writeFileAtomic } from './write-file-atomic.js';

let directory = '';
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'umd-write-atomic-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes bytes and strings, replacing an existing file and creating parent directories', async () => {
    const path = join(directory, 'nested', 'deeper', 'file.bin');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    expect(Array.from(await readFile(path))).toEqual([1, 2, 3]);
    await writeFileAtomic(path, 'héllo');
    expect(await readFile(path, 'utf8')).toBe('héllo');
    expect(await readdir(join(directory, 'nested', 'deeper'))).toEqual(['file.bin']);
  });

  it('says "no space left on the device (ENOSPC)" when the disk fills, names the file, and leaves the old file and no temp file', async () => {
    const folder = join(directory, 'full-disk');
    const path = join(folder, 'metrics.json');
    await writeFileAtomic(path, 'previous');
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const write = writeFileAtomic(path, 'next', {
      _internal: {
        writeFile: async () => {
          throw full;
        },
      },
    });
    await expect(write).rejects.toThrow(`Could not write ${path}: no space left on the device (ENOSPC)`);
    const error = (await write.catch((caught: unknown) => caught)) as FileWriteError;
    expect(error).toBeInstanceOf(FileWriteError);
    expect(error.path).toBe(path);
    expect(await readFile(path, 'utf8')).toBe('previous');
    expect(await readdir(folder)).toEqual(['metrics.json']);
  });

  it('leaves the old file intact and no temp file when the writer crashes midway', async () => {
    const folder = join(directory, 'crash');
    const path = join(folder, 'checkpoint.safetensors');
    await writeFileAtomic(path, 'previous checkpoint');
    const crash = new Error('disk full');
    let tempName = '';
    const halfThenThrow = async (handle: FileHandle, data: Uint8Array): Promise<void> => {
      tempName = (await readdir(folder)).find((name) => name !== 'checkpoint.safetensors') ?? '';
      await handle.write(data, 0, data.length / 2);
      throw crash;
    };

    const write = writeFileAtomic(path, new Uint8Array(64).fill(7), { _internal: { writeFile: halfThenThrow } });

    await expect(write).rejects.toThrow(`Could not write ${path}: disk full`);
    const error = await write.catch((caught: unknown) => caught);
    expect(UmdError.isInstance(error)).toBe(true);
    expect((error as Error).cause).toBe(crash);
    expect(tempName).toMatch(new RegExp(`^\\.checkpoint\\.safetensors\\.tmp-${process.pid}-[0-9a-f]{12}$`));
    expect(await readFile(path, 'utf8')).toBe('previous checkpoint');
    expect(await readdir(folder)).toEqual(['checkpoint.safetensors']);
  });

  it('fails without touching anything when the target cannot be replaced', async () => {
    const path = join(directory, 'a-directory');
    await writeFile(join(directory, 'sibling'), 'kept');
    await rm(path, { recursive: true, force: true });
    await writeFileAtomic(join(path, 'inside'), 'x'); // makes `path` a non-empty directory
    await expect(writeFileAtomic(path, 'data')).rejects.toThrow(`Could not write ${path}`);
    expect((await readdir(directory)).filter((name) => name.includes('.tmp-'))).toEqual([]);
    expect(await readFile(join(path, 'inside'), 'utf8')).toBe('x');
  });
});
