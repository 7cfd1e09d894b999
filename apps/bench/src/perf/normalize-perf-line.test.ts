import { describe, expect, it } from 'vitest';

import { normalizePerfLine, type PerfLineContext } from './normalize-perf-line.js';

describe('normalizePerfLine', () => {
  it('reads a tfjs workload line: median ms, samples/s from the batch, backend, threads', () => {
    const line = {
      workload: 'tiny-train',
      preset: 'tiny',
      batch: 32,
      parameters: 3_400_000,
      backend: 'wasm',
      threads: 2,
      ms_median: 640,
      ms_p90: 700,
      runs: 5,
      peakRssMiB: 512.3,
    };
    expect(normalizePerfLine('@umd/encoders', line)).toEqual({
      package: '@umd/encoders',
      workload: 'tiny-train',
      ms: 640,
      samplesPerSecond: 50,
      peakRssMiB: 512.3,
      backend: 'wasm',
      threads: 2,
      details: { preset: 'tiny', batch: 32, parameters: 3_400_000, ms_p90: 700, runs: 5 },
    });
  });

  it('names MR pre-training lines by config and leaves threads null where the script does not say', () => {
    const mr = normalizePerfLine('@umd/mr-pretrain', { workload: 'mr-pretrain-step', config: 'dataLevel', batch: 32, backend: 'wasm', ms_median: 800 });
    expect(mr?.workload).toBe('mr-pretrain-step-dataLevel');
    expect(mr?.samplesPerSecond).toBe(40);
    const core = normalizePerfLine('@umd/core', { workload: 'matmul-1024', ms_median: 120, gflops: 17.9, backend: 'wasm', tfjs: '4.22.0' });
    expect(core).toMatchObject({ workload: 'matmul-1024', ms: 120, threads: null, peakRssMiB: null, details: { gflops: 17.9, tfjs: '4.22.0' } });
    expect(core?.samplesPerSecond).toBeUndefined();
  });

  it('keeps the PyTorch reference apart: its own workload name and backend, no RSS of ours', () => {
    const reference = normalizePerfLine('@umd/core', { workload: 'block-train', impl: 'pytorch', threads: 2, batch: 16, ms_median: 160, peakRssMiB: 99 });
    expect(reference).toMatchObject({ workload: 'block-train-pytorch', backend: 'pytorch', threads: 2, peakRssMiB: null, samplesPerSecond: 100 });
  });

  it('reads the data bench: images/s or texts/s, sharp threads from its environment line', () => {
    const context: PerfLineContext = {};
    expect(normalizePerfLine('@umd/data', { bench: 'environment', sharpConcurrency: 1, cpus: 2 }, context)).toBeUndefined();
    const image = normalizePerfLine(
      '@umd/data',
      { bench: 'image-cache', size: 64, channels: 1, concurrency: 8, cache: 'memory (memoryCacheMiB), same pipeline', imagesPerSecond: 2000, peakRssMiB: 300 },
      context,
    );
    expect(image).toMatchObject({ workload: 'image-cache-64px-grey-c8-memory', ms: 0.5, imagesPerSecond: 2000, backend: 'sharp', threads: 1, peakRssMiB: 300 });
    const tokenize = normalizePerfLine('@umd/data', { bench: 'tokenize', textsPerSecond: 4000 }, context);
    expect(tokenize).toMatchObject({ workload: 'tokenize', ms: 0.25, samplesPerSecond: 4000, backend: 'js' });
    expect(tokenize?.imagesPerSecond).toBeUndefined();
  });

  it('ignores lines without a workload', () => {
    expect(normalizePerfLine('@umd/core', { message: 'hello' })).toBeUndefined();
  });
});
