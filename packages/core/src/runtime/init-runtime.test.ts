import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { BackendUnavailableError } from '../errors/backend-unavailable-error.js';
import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { currentRuntime, initRuntime } from './init-runtime.js';

const missing = async (specifier: string): Promise<never> => {
  throw new Error(`Cannot find package '${specifier}'`);
};

describe('initRuntime', () => {
  it('rejects an unknown UMD_BACKEND, naming the variable and the allowed values', async () => {
    const attempt = initRuntime({ env: { UMD_BACKEND: 'gpu' } });
    await expect(attempt).rejects.toBeInstanceOf(InvalidConfigError);
    await expect(attempt).rejects.toThrow(/UMD_BACKEND.*"gpu".*auto, tensorflow-gpu, tensorflow, wasm, cpu/);
  });

  it('rejects a bad UMD_BLAS_THREADS, naming the variable', async () => {
    await expect(initRuntime({ env: { UMD_BLAS_THREADS: 'all' } })).rejects.toThrow(/UMD_BLAS_THREADS.*"all".*an integer from 1 to 256/);
    await expect(initRuntime({ blasThreads: 0 })).rejects.toBeInstanceOf(InvalidConfigError);
  });

  it('explains how to get tfjs-node when the tensorflow backend is requested but not installed', async () => {
    const attempt = initRuntime({ backend: 'tensorflow', _internal: { importModule: missing } });
    await expect(attempt).rejects.toBeInstanceOf(BackendUnavailableError);
    await expect(attempt).rejects.toThrow(/npm install @tensorflow\/tfjs-node@4\.22\.0/);
    expect(currentRuntime()).toBeUndefined();
  });

  it('auto falls through to wasm and says why, once', async () => {
    const lines: string[] = [];
    const info = await initRuntime({ env: {}, onLog: (line) => lines.push(line), _internal: { importModule: missing } });
    expect(info.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(info.attempts.map((attempt) => attempt.backend)).toEqual(['tensorflow-gpu', 'tensorflow']);
    expect(info.reason).toMatch(/tensorflow-gpu unavailable, tensorflow unavailable/);
    expect(info.fixes).toContain('UnsortedSegmentSum kernel (embedding gradients)');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[umd\] backend wasm/);
    // @umd/native-blas cannot be imported either: the wasm matMul runs, and the line says why.
    expect(info.matMul).toBe('wasm');
    expect(lines[0]).toMatch(/wasm matMul \(native BLAS unavailable: Cannot find package '@umd\/native-blas'\)/);
    // Asking again returns the same runtime without logging again.
    expect(await initRuntime({ env: {}, onLog: (line) => lines.push(line) })).toBe(info);
    expect(lines).toHaveLength(1);
  });

  it('switches to an explicitly requested backend', async () => {
    const info = await initRuntime({ backend: 'cpu' });
    expect(info.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });
});
