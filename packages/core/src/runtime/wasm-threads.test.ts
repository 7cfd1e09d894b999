import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { initRuntime } from './init-runtime.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('multithreaded wasm', () => {
  it('starts with 2 threads and lets the process exit on its own', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@umd/source', path.join(here, '__fixtures__', 'threaded-wasm-exit.ts')], {
      cwd: path.resolve(here, '../..'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.error, 'the process did not exit within 60 s').toBeUndefined();
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    const report = JSON.parse(lines.at(-2)!) as { threads: number; fixes: string[]; corner: number };
    // Emscripten's re-throwing process handlers are removed, so application errors keep Node's own reporting.
    expect(JSON.parse(lines.at(-1)!)).toEqual({ emscriptenHandlers: 0 });
    expect(report.threads).toBe(2);
    expect(report.fixes).toContain('multithreaded wasm (2 threads)');
    expect(report.corner).toBe(256);
  });

  it('rejects a bad thread count, naming the variable', async () => {
    await expect(initRuntime({ backend: 'wasm', env: { UMD_WASM_THREADS: 'many' } })).rejects.toThrow(InvalidConfigError);
    await expect(initRuntime({ backend: 'wasm', env: { UMD_WASM_THREADS: '0' } })).rejects.toThrow(/UMD_WASM_THREADS/);
  });

  it('falls back to single-threaded wasm, saying why, when the threaded build is not where tfjs 4.22 keeps it', async () => {
    const info = await initRuntime({
      backend: 'wasm',
      wasmThreads: 2,
      _internal: { wasmThreads: { workerScript: path.join(here, 'no-such-worker.js') } },
    });
    expect(info.threads).toBe(1);
    expect(info.fixes.find((fix) => fix.startsWith('single-threaded wasm (threaded build unavailable: '))).toBeDefined();
    const sum = tf.sum(tf.matMul(tf.ones([8, 8]), tf.ones([8, 8])));
    expect((await sum.data())[0]).toBe(512);
  });
});
