import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@umd/core/testing';
import type { ProgressReporter } from '@umd/trainer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BenchGridMismatchError } from '../errors/bench-grid-mismatch-error.js';
import { readBenchState } from './bench-state.js';
import { paperProfiles } from './paper-profiles.js';
import type { PaperResults } from './paper-results.js';
import { runPaperBenchmark, type RunPaperBenchmarkOptions } from './run-paper-benchmark.js';

/** Collects log lines; calls `onUpdate` with the phase label on every progress update. */
function recorder(onUpdate?: (label: string) => void): ProgressReporter & { readonly lines: string[] } {
  const lines: string[] = [];
  let label = '';
  return {
    lines,
    begin: (name) => {
      label = name;
    },
    update: () => onUpdate?.(label),
    log: (line) => lines.push(line),
    end: () => undefined,
  };
}

describe('runPaperBenchmark (phantom data, micro profile)', () => {
  let dir: string;
  beforeAll(async () => {
    await useBackend('cpu');
    dir = await mkdtemp(path.join(os.tmpdir(), 'umd-bench-paper-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const base = (outDir: string): RunPaperBenchmarkOptions => ({
    profile: paperProfiles.micro,
    data: { kind: 'phantom' },
    outDir,
    tasks: ['vqa-rad'],
    variants: ['scratch', 'mr-full+td-calib+gm-coord'],
    imageCache: null,
  });

  it('runs the grid through every kind of unit, writes results.md, skips finished units on resume, evaluates another split once', async () => {
    const outDir = path.join(dir, 'grid');
    const tensorsBefore = tf.memory().numTensors;
    const progress = recorder();
    const run = await runPaperBenchmark({ ...base(outDir), progress });
    expect(run.failed, progress.lines.filter((line) => line.includes('FAILED')).join('\n')).toEqual([]);
    expect(run.status).toBe('complete');
    expect(run.ran).toEqual([
      'pretrain/full',
      'calibrate/full/vqa-rad',
      'tune/vqa-rad/scratch/seed-0',
      'evaluate/vqa-rad/scratch/seed-0/validate',
      'tune/vqa-rad/mr-full+td-calib+gm-coord/seed-0',
      'evaluate/vqa-rad/mr-full+td-calib+gm-coord/seed-0/validate',
      'tune/vqa-rad/text-only/seed-0',
      'evaluate/vqa-rad/text-only/seed-0/validate',
    ]);
    expect(tf.memory().numTensors).toBe(tensorsBefore);

    const state = (await readBenchState(outDir))!;
    expect(Object.values(state.units).every((unit) => unit.status === 'complete')).toBe(true);
    const tuned = state.units['tune/vqa-rad/mr-full+td-calib+gm-coord/seed-0']!.result as { start: string; checkpoint: string };
    expect(tuned.start).toBe('calibrate');
    expect(existsSync(path.join(outDir, tuned.checkpoint))).toBe(true);
    expect((state.units['tune/vqa-rad/scratch/seed-0']!.result as { start: string }).start).toBe('scratch');

    const markdown = await readFile(path.join(outDir, 'results.md'), 'utf8');
    expect(markdown).toBe(run.markdown);
    expect(markdown).toContain('# UMD-TS paper benchmark: micro profile, validate split');
    expect(markdown).toContain('_M3AE (published, GPU, large pre-training) [test split]_');
    for (const label of [
      'scratch (no pre-training)',
      '+ GM-Coord (UMD)',
      'floor: text-only model',
      'floor: question-only majority',
      'floor: question-only tf-idf 5-NN',
    ]) {
      expect(markdown).toContain(label);
    }
    const results = JSON.parse(await readFile(path.join(outDir, 'results.json'), 'utf8')) as PaperResults;
    const rows = results.tasks[0]!.rows.filter((row) => row.kind === 'model');
    expect(rows.map((row) => [row.id, row.seedsDone])).toEqual([
      ['scratch', 1],
      ['mr-full+td-calib+gm-coord', 1],
      ['text-only', 1],
    ]);
    expect(results.unitsDone).toBe(results.unitsTotal);

    // Resume: every unit is complete, so nothing runs and nothing is rewritten.
    const checkpointTime = (await stat(path.join(outDir, tuned.checkpoint))).mtimeMs;
    const again = await runPaperBenchmark(base(outDir));
    expect(again.resumed).toBe(true);
    expect(again.ran).toEqual([]);
    expect(again.skipped).toEqual(run.ran);
    expect((await stat(path.join(outDir, tuned.checkpoint))).mtimeMs).toBe(checkpointTime);

    // Another reported split reuses every tuned model: only the evaluations on it run, once.
    const test = await runPaperBenchmark({ ...base(outDir), split: 'test' });
    expect(test.ran).toEqual(run.ran.filter((id) => id.startsWith('evaluate/')).map((id) => id.replace(/validate$/, 'test')));
    expect(test.results.tasks[0]!.split).toBe('test');
    expect((await runPaperBenchmark({ ...base(outDir), split: 'test' })).ran).toEqual([]);

    // Another grid in the same folder is refused before any work.
    await expect(runPaperBenchmark({ ...base(outDir), seeds: 2 })).rejects.toThrow(BenchGridMismatchError);
    await expect(runPaperBenchmark({ ...base(outDir), seeds: 2 })).rejects.toThrow(/grid\.seeds: \[0\] -> \[0,1\]/);
  }, 180_000); // the whole grid, a resume and a second split: minutes on a loaded 2-core machine

  it('stops a unit mid-training on abort and continues it from its checkpoint on the next call', async () => {
    const outDir = path.join(dir, 'abort');
    const controller = new AbortController();
    const options: RunPaperBenchmarkOptions = { ...base(outDir), variants: ['scratch'], floors: false };
    const first = await runPaperBenchmark({
      ...options,
      signal: controller.signal,
      progress: recorder((label) => {
        if (label === 'finetune') controller.abort();
      }),
    });
    expect(first.status).toBe('aborted');
    const state = (await readBenchState(outDir))!;
    expect(state.units['tune/vqa-rad/scratch/seed-0']?.status).toBe('aborted');
    expect(state.units['evaluate/vqa-rad/scratch/seed-0/validate']).toBeUndefined();
    expect(first.results.unitsDone).toBe(0);

    const progress = recorder();
    const second = await runPaperBenchmark({ ...options, progress });
    expect(second.status).toBe('complete');
    expect(second.ran).toEqual(['tune/vqa-rad/scratch/seed-0', 'evaluate/vqa-rad/scratch/seed-0/validate']);
    expect(progress.lines.some((line) => line.includes('tune/vqa-rad/scratch/seed-0 (continuing the aborted unit)'))).toBe(true);
    expect(progress.lines.some((line) => line.includes('[finetune] continuing the'))).toBe(true);
    expect(second.results.unitsDone).toBe(2);
  });
});
