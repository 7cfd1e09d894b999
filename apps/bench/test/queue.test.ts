import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { useBackend } from '@umd/core/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BenchFolderMismatchError } from '../src/errors/bench-folder-mismatch-error.js';
import { QueueGridMismatchError } from '../src/errors/queue-grid-mismatch-error.js';
import { readBenchState, writeBenchState } from '../src/paper/bench-state.js';
import { reportBenchFolder } from '../src/paper/paper-report.js';
import type { PaperProfile } from '../src/paper/paper-profile.js';
import { paperProfiles } from '../src/paper/paper-profiles.js';
import { runPaperBenchmark } from '../src/paper/run-paper-benchmark.js';
import { startBenchWorker } from '../src/queue/bench-worker.js';
import { enqueuePaperGrid } from '../src/queue/enqueue-paper-grid.js';
import { queueStatus, renderQueueStatus } from '../src/queue/queue-status.js';
import { parseQueueTarget, type QueueTarget } from '../src/queue/queue-target.js';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Debian's redis-server (installed by .ci/run when missing), or REDIS_SERVER. */
const redisServer = [process.env['REDIS_SERVER'], '/usr/bin/redis-server', '/usr/local/bin/redis-server'].find(
  (candidate) => candidate !== undefined && spawnSync(candidate, ['--version']).status === 0,
);
if (!redisServer) console.warn('[queue.test] skipped: no redis-server (apt-get install redis-server, or set REDIS_SERVER)');

/** The micro profile with a pre-training long enough to kill a worker in the middle of it (a checkpoint per step). */
const profile: PaperProfile = { ...paperProfiles.micro, pretrain: { ...paperProfiles.micro.pretrain, steps: 24 } };
const grid = { profile, data: { kind: 'phantom' }, tasks: ['vqa-rad'], variants: ['scratch', 'mr-full+td-calib+gm-coord'], imageCache: null } as const;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

interface Worker {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

/** `umd-bench worker` from source in its own process, with short lock and stall times (a lock well above a step on a loaded machine). */
function worker(target: QueueTarget, name: string): Worker {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@umd/source',
      '--import',
      'tsx',
      'src/cli.ts',
      'worker',
      '--queue',
      target.url,
      '--until-done',
      '--image-cache',
      'none',
      '--progress',
      'plain',
      '--lock-seconds',
      '30',
      '--stalled-seconds',
      '2',
      '--blocked-seconds',
      '1',
    ],
    { cwd: appDir, env: { ...process.env, UMD_BACKEND: 'cpu' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', (status) => resolve(status)));
  return { child, exited, output: () => `--- ${name}\n${text}` };
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function linesOf(file: string): Promise<number> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.trim() !== '').length;
}

describe.skipIf(!redisServer)('the grid on BullMQ over a real Redis: workers in their own processes, one killed mid-unit', () => {
  let dir: string;
  let port: number;
  let redis: ChildProcess | undefined;

  async function startRedis(): Promise<void> {
    redis = spawn(
      redisServer!,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        path.join(dir, 'redis'),
        '--appendonly',
        'yes',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    await until(
      'redis-server to answer',
      async () => {
        const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
        client.on('error', () => undefined); // not up yet: the connect call says so
        try {
          await client.connect();
          return (await client.ping()) === 'PONG';
        } catch {
          return false;
        } finally {
          client.disconnect();
        }
      },
      15_000,
    );
  }

  async function stopRedis(): Promise<void> {
    const client = new Redis({ port, host: '127.0.0.1', retryStrategy: () => null });
    client.on('error', () => undefined); // the server closes the connection as it shuts down
    const gone = new Promise((resolve) => redis!.once('exit', resolve));
    await client.call('SHUTDOWN').catch(() => undefined); // the connection closes as the server exits; the AOF is written first
    client.disconnect();
    await gone;
  }

  beforeAll(async () => {
    await useBackend('cpu');
    dir = await mkdtemp(path.join(os.tmpdir(), 'umd-bench-queue-'));
    await mkdir(path.join(dir, 'redis'));
    port = await freePort();
    await startRedis();
  }, 30_000);
  afterAll(async () => {
    if (redis && redis.exitCode === null) redis.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('runs every unit once over two workers although one is SIGKILLed mid-unit and Redis restarts; the table equals the in-process one byte for byte', async () => {
    const inProcess = await runPaperBenchmark({ ...grid, outDir: path.join(dir, 'in-process') });
    expect(inProcess.status).toBe('complete');

    const target = parseQueueTarget(`redis://127.0.0.1:${port}/0`);
    const outDir = path.join(dir, 'queued');
    const enqueued = await enqueuePaperGrid({ ...grid, outDir, queue: target });
    expect(enqueued.added).toBe(true);
    expect(enqueued.grid.units).toEqual(inProcess.ran);
    expect((await enqueuePaperGrid({ ...grid, outDir, queue: target })).added).toBe(false); // the same grid again: nothing added

    // Redis restarts (AOF on): the grid and its jobs are still there.
    await stopRedis();
    await startRedis();
    const before = await queueStatus(target);
    expect(before.counts).toEqual({ waiting: enqueued.grid.units.length, active: 0, completed: 0, failed: 0 });

    const first = worker(target, 'worker 1');
    const second = worker(target, 'worker 2');
    const workers = [first, second];
    try {
      // Kill whichever worker runs the pre-training once it has written a few of its 24 steps.
      const metrics = path.join(outDir, 'units', 'pretrain', 'full', 'pretrain', 'metrics.jsonl');
      await until('the pre-training to have begun', async () => (await linesOf(metrics)) >= 2, 120_000);
      const victim = workers.find((candidate) => candidate.output().includes('[bench] unit pretrain/full'))!;
      expect(victim).toBeDefined();
      victim.child.kill('SIGKILL');
      const stepsAtKill = await linesOf(metrics);
      expect(stepsAtKill).toBeLessThan(24);
      const survivor = workers.find((candidate) => candidate !== victim)!;
      expect(await Promise.race([survivor.exited, new Promise((resolve) => setTimeout(() => resolve('timeout'), 300_000))])).toBe(0);

      // The survivor continued the pre-training from its checkpoint; every unit's job completed once.
      expect(survivor.output()).toMatch(/unit pretrain\/full \(job try \d\) \(continuing the running unit\)/);
      const status = await queueStatus(target);
      expect(status.counts, renderQueueStatus(status)).toEqual({ waiting: 0, active: 0, completed: enqueued.grid.units.length, failed: 0 });
      expect(status.report).toBe('completed');
      const outputs = workers.map((entry) => entry.output()).join('\n');
      for (const id of enqueued.grid.units) expect(outputs.split(`[worker] ${id} complete`).length - 1, id).toBe(1);
      const state = (await readBenchState(outDir))!;
      expect(enqueued.grid.units.every((id) => state.units[id]?.status === 'complete')).toBe(true);

      // The same table as the grid run in one process.
      const render = { timings: false } as const;
      const queued = await reportBenchFolder(outDir, { render });
      const local = await reportBenchFolder(path.join(dir, 'in-process'), { render });
      expect(queued.markdown).toBe(local.markdown);
      expect(queued.markdown).toContain('| calibrate/full/vqa-rad | complete | 1 steps; MR loss on the downstream set');
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${workers.map((entry) => entry.output()).join('\n')}`, { cause: error });
    } finally {
      for (const entry of workers) if (entry.child.exitCode === null) entry.child.kill('SIGKILL');
    }
  }, 420_000);

  it('refuses a second grid in one queue and a worker whose folder is not the grid’s; a unit failing every try is reported and the rest goes on', async () => {
    const target = parseQueueTarget(`redis://127.0.0.1:${port}/1`);
    const outDir = path.join(dir, 'failing');
    const small = { ...grid, profile: paperProfiles.micro, variants: ['scratch'] as const, floors: false };
    await enqueuePaperGrid({ ...small, outDir, queue: target, attempts: 2, backoffMs: 100 });
    const other = { ...small, seeds: 2, outDir: path.join(dir, 'other'), queue: target };
    await expect(enqueuePaperGrid(other)).rejects.toThrow(QueueGridMismatchError);
    await expect(enqueuePaperGrid(other)).rejects.toThrow(/queue\.grid\.seeds: \[0\] -> \[0,1\]/);

    // A folder at the grid's path that holds another grid (not the shared one): the worker does not start.
    const state = (await readBenchState(outDir))!;
    await writeBenchState(outDir, { ...state, gridId: 'another-grid' });
    await expect(startBenchWorker({ queue: target, imageCache: null })).rejects.toThrow(BenchFolderMismatchError);
    await writeBenchState(outDir, state);

    // A file where the tuning run's folder must go: that unit fails on both tries, its evaluation cannot run, the report is written.
    await mkdir(path.join(outDir, 'units', 'tune', 'vqa-rad', 'scratch'), { recursive: true });
    await writeFile(path.join(outDir, 'units', 'tune', 'vqa-rad', 'scratch', 'seed-0'), 'in the way\n');
    const lines: string[] = [];
    const running = await startBenchWorker({
      queue: target,
      imageCache: null,
      untilDone: true,
      blockedDelayMs: 200,
      progress: { begin: () => undefined, update: () => undefined, end: () => undefined, log: (line) => lines.push(line) },
    });
    await running.closed;
    const status = await queueStatus(target);
    expect(status.counts).toEqual({ waiting: 0, active: 0, completed: 0, failed: 2 });
    const tune = status.units.find((unit) => unit.id === 'tune/vqa-rad/scratch/seed-0')!;
    expect(tune.tries).toBe(2);
    expect(tune.error).toMatch(/UMD_PipelineStateError: .*seed-0\/pipeline\.json cannot be read/);
    expect(status.units.find((unit) => unit.id.startsWith('evaluate/'))!.error).toMatch(/needs tune\/vqa-rad\/scratch\/seed-0, which failed for good/);
    expect(status.report).toBe('completed');
    const results = await readFile(path.join(outDir, 'results.md'), 'utf8');
    expect(results).toMatch(/seed 0 failed: UMD_PipelineStateError/);
    expect(lines.some((line) => line.includes('1 tries left'))).toBe(true);
  }, 120_000);
});
