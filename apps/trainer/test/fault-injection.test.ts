import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { SeededRandom } from '@umd/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { microModelYaml } from './micro-model.js';

const appDir = fileURLToPath(new URL('..', import.meta.url));

/** Pre-training at test size: 16 steps, a checkpoint every 2, so kills land before, between and during writes. */
const microConfig = `
name: micro-faults
seed: 3
${microModelYaml}
data:
  imageCache: null
  phantom: { trainImages: 16, validateImages: 8, testImages: 8, size: 32 }
stages: [pretrain]
pretrain: { steps: 16, batchSize: 4, checkpointEvery: 2, pictureEvery: 0 }
`;

interface Run {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `umd-train` from source in its own process; `onChild` sees the process (to kill it). */
function umdTrain(args: readonly string[], onChild?: (child: ChildProcess) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=@umd/source', '--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: appDir,
      env: { ...process.env, UMD_BACKEND: 'cpu' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 150_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
    onChild?.(child);
  });
}

/** The pre-training losses per step, without times. */
async function losses(dir: string): Promise<string[]> {
  const text = await readFile(path.join(dir, 'pretrain', 'metrics.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const { ms: _ms, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return JSON.stringify(rest);
    });
}

/** Lines in the folder's metrics file now (0 before the stage writes it). */
async function stepsWritten(dir: string): Promise<number> {
  const text = await readFile(path.join(dir, 'pretrain', 'metrics.jsonl'), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.trim() !== '').length;
}

/**
 * The fault suite: kill -9 at random steps (counted when one lands while a checkpoint is being written) then --resume, a second run on a held
 * folder, a damaged newest checkpoint, a folder that cannot be written. Counts are printed for the closing note.
 */
describe('fault injection (umd-train, phantom micro pre-training)', () => {
  let root: string;
  let config: string;
  let reference: string[];
  const counts = { trials: 0, exactResumes: 0, killedMidWrite: 0, refusals: 0, fallbacks: 0, typedWriteErrors: 0 };

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'trainer-faults-'));
    config = path.join(root, 'micro.yaml');
    await writeFile(config, microConfig);
    const run = await umdTrain(['run', '--config', config, '--out', path.join(root, 'reference'), '--progress', 'plain']);
    expect(run.status, run.stderr.slice(-2000)).toBe(0);
    reference = await losses(path.join(root, 'reference'));
    expect(reference).toHaveLength(16);
  }, 180_000);

  afterAll(async () => {
    console.log(`[fault-injection] ${JSON.stringify(counts)}`);
    await rm(root, { recursive: true, force: true });
  });

  it('kill -9 at random steps: --resume gives the uninterrupted losses exactly and leaves no temporary file', { timeout: 480_000 }, async () => {
    const random = new SeededRandom(2026);
    for (let trial = 0; trial < 3; trial++) {
      const out = path.join(root, `killed-${trial}`);
      const killAt = 1 + random.integer(14); // after step 1 … 14 of 16
      let midWrite = false;
      const run = await umdTrain(['run', '--config', config, '--out', out, '--progress', 'plain'], (child) => {
        const poll = setInterval(() => {
          void (async () => {
            if ((await stepsWritten(out)) < killAt) return;
            // Prefer the moment a checkpoint is being written (its temporary file exists), else kill now.
            const names = await readdir(path.join(out, 'pretrain', 'checkpoints')).catch(() => [] as string[]);
            midWrite = names.some((name) => name.includes('.tmp'));
            clearInterval(poll);
            child.kill('SIGKILL');
          })();
        }, 2);
        child.on('close', () => clearInterval(poll));
      });
      counts.trials++;
      if (midWrite) counts.killedMidWrite++;
      expect(run.signal, `trial ${trial}: the run ended before the kill (${run.stderr.slice(-500)})`).toBe('SIGKILL');
      const resumed = await umdTrain(['run', '--config', config, '--out', out, '--resume', '--progress', 'plain']);
      expect(resumed.status, resumed.stderr.slice(-2000)).toBe(0);
      expect(await losses(out)).toEqual(reference);
      expect((await readdir(path.join(out, 'pretrain', 'checkpoints'))).filter((name) => name.includes('.tmp'))).toEqual([]);
      counts.exactResumes++;
    }
  });

  it('refuses a second run on a folder a run holds, naming the lock and its holder', { timeout: 180_000 }, async () => {
    const out = path.join(root, 'held');
    let second: Run | undefined;
    const first = umdTrain(['run', '--config', config, '--out', out, '--progress', 'plain'], (child) => {
      const poll = setInterval(() => {
        void (async () => {
          if ((await stepsWritten(out)) < 1 || second) return;
          clearInterval(poll);
          second = await umdTrain(['run', '--config', config, '--out', out, '--resume', '--progress', 'plain']);
          child.kill('SIGKILL');
        })();
      }, 20);
      child.on('close', () => clearInterval(poll));
    });
    await first;
    expect(second?.status).toBe(1);
    expect(second?.stderr).toMatch(/lock/i);
    expect(second?.stderr).toMatch(/pid \d+/);
    counts.refusals++;
  });

  it('sets a damaged newest checkpoint aside on --resume, names it, and goes on from the one before', { timeout: 180_000 }, async () => {
    const out = path.join(root, 'damaged');
    const run = await umdTrain(['run', '--config', config, '--out', out, '--progress', 'plain'], (child) => {
      const poll = setInterval(() => {
        void (async () => {
          if ((await stepsWritten(out)) < 9) return;
          clearInterval(poll);
          child.kill('SIGKILL');
        })();
      }, 2);
      child.on('close', () => clearInterval(poll));
    });
    expect(run.signal).toBe('SIGKILL');
    const dir = path.join(out, 'pretrain', 'checkpoints');
    const newest = (await readdir(dir))
      .filter((name) => name.endsWith('.safetensors'))
      .sort()
      .at(-1)!;
    const bytes = await readFile(path.join(dir, newest));
    bytes[bytes.length - 3]! ^= 0x40; // one flipped bit in the tensor data
    await writeFile(path.join(dir, newest), bytes);
    const resumed = await umdTrain(['run', '--config', config, '--out', out, '--resume', '--progress', 'plain']);
    expect(resumed.status, resumed.stderr.slice(-2000)).toBe(0);
    expect(resumed.stdout + resumed.stderr).toContain(newest); // the message names the file it set aside
    expect(existsSync(path.join(dir, `${newest}.damaged`))).toBe(true);
    expect(await losses(out)).toEqual(reference);
    counts.fallbacks++;
  });

  it('stops with a typed error naming the path when the output folder cannot be written, and writes nothing half', { timeout: 180_000 }, async () => {
    const out = path.join(root, 'read-only');
    let fired = false;
    const run = await umdTrain(['run', '--config', config, '--out', out, '--progress', 'plain'], (child) => {
      const poll = setInterval(() => {
        void (async () => {
          if (fired || (await stepsWritten(out)) < 3 || fired) return;
          fired = true; // polls overlap: one of them acts
          clearInterval(poll);
          // The checkpoints folder becomes a file: every later checkpoint write fails (as on a full or broken disk).
          await rename(path.join(out, 'pretrain', 'checkpoints'), path.join(out, 'pretrain', 'checkpoints-moved'));
          await writeFile(path.join(out, 'pretrain', 'checkpoints'), 'not a folder');
        })();
      }, 2);
      child.on('close', () => clearInterval(poll));
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/UMD_\w+Error/);
    expect(run.stderr).toContain(path.join(out, 'pretrain', 'checkpoints'));
    expect(run.stderr).not.toMatch(/^\s+at /m); // a message, not a stack trace
    expect((await readdir(path.join(out, 'pretrain', 'checkpoints-moved'))).filter((name) => name.includes('.tmp'))).toEqual([]);
    counts.typedWriteErrors++;
  });
});
