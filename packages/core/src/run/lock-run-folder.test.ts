import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

import { FileWriteError } from '../errors/file-write-error.js';
import { RunFolderLockedError } from '../errors/run-folder-locked-error.js';
import { lockRunFolder } from './lock-run-folder.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'umd-lock-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Another process that takes the lock of `dir`, prints `locked`, and holds it until killed. */
function holderProcess(dir: string): Promise<{ pid: number; kill: () => void }> {
  const script = `import { lockRunFolder } from ${JSON.stringify(path.resolve(__dirname, 'lock-run-folder.ts'))};
    await lockRunFolder(${JSON.stringify(dir)}); console.log('locked'); setInterval(() => {}, 1000);`;
  // From the package folder, where `tsx` resolves (the repository root has no tsx of its own).
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: path.resolve(__dirname, '../..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve({ pid: child.pid!, kill: () => child.kill('SIGKILL') }));
    child.on('exit', (code) => reject(new Error(`holder exited with ${code}`)));
  });
}

describe('lockRunFolder', () => {
  it('refuses a second run while another process holds the folder, naming its pid, host and start time', async () => {
    const dir = await tempDir();
    const holder = await holderProcess(dir);
    try {
      const refusal = await lockRunFolder(dir).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refusal).toBeInstanceOf(RunFolderLockedError);
      expect((refusal as RunFolderLockedError).message).toMatch(
        new RegExp(`is locked by another run: pid ${holder.pid} on ${hostname()}, running since \\d{4}-`),
      );
      expect((refusal as RunFolderLockedError).holder?.pid).toBe(holder.pid);
    } finally {
      holder.kill();
    }
  }, 30_000);

  it('takes over the lock of a run that was killed, and says so', async () => {
    const dir = await tempDir();
    const holder = await holderProcess(dir);
    holder.kill();
    await new Promise((resolve) => setTimeout(resolve, 300)); // the kill lands
    const lines: string[] = [];
    const lock = await lockRunFolder(dir, { onLog: (line) => lines.push(line) });
    expect(lines).toEqual([expect.stringMatching(new RegExp(`took over the lock of .* from pid ${holder.pid} .*no longer runs`))]);
    expect(JSON.parse(await readFile(path.join(dir, '.umd-lock-owner.json'), 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
  }, 30_000);

  it('can be taken again after release, in the same process', async () => {
    const dir = await tempDir();
    const first = await lockRunFolder(path.join(dir, 'run'));
    await expect(lockRunFolder(path.join(dir, 'run'))).rejects.toThrow(RunFolderLockedError);
    await first.release();
    const second = await lockRunFolder(path.join(dir, 'run'));
    await second.release();
  });

  it('does not take over a lock whose holder still runs, even with its owner file removed', async () => {
    const dir = await tempDir();
    const first = await lockRunFolder(dir);
    await writeFile(path.join(dir, '.umd-lock-owner.json'), 'not json');
    await expect(lockRunFolder(dir)).rejects.toThrow(/has not recorded who it is/);
    await first.release();
  });

  it('names the folder and the cause in words when it cannot be created: a file in the way', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'file'), 'x');
    const out = path.join(dir, 'file', 'run');
    await expect(lockRunFolder(out)).rejects.toThrow(FileWriteError);
    await expect(lockRunFolder(out)).rejects.toThrow(`Cannot create the output folder ${out}: a part of the path is a file, not a folder (ENOTDIR)`);
  });

  it('names the folder and the cause in words on a read-only file system', async (context) => {
    const mountPoint = await tempDir();
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', mountPoint], { stdio: 'ignore' });
    } catch {
      context.skip('mounting a read-only tmpfs needs root (or CAP_SYS_ADMIN); the ENOTDIR case above covers the message');
      return;
    }
    try {
      const out = path.join(mountPoint, 'runs', 'x');
      await expect(lockRunFolder(out)).rejects.toThrow(`Cannot create the output folder ${out}: the file system is read-only (EROFS)`);
    } finally {
      execFileSync('umount', [mountPoint]);
      mkdirSync(mountPoint, { recursive: true });
    }
  });
});
