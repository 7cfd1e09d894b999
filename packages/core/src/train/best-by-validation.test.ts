import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { readCheckpoint } from '../checkpoint/checkpoint.js';
import { initRuntime } from '../runtime/init-runtime.js';
import { BestByValidation } from './best-by-validation.js';

const dirs: string[] = [];

describe('BestByValidation (model selection by validation only)', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'cpu' });
  });
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('saves a pass only when it beats the best strictly, logs every pass, and a resume keeps the best and its details', async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), 'umd-best-'));
    dirs.push(outDir);
    const selection = new BestByValidation<{ step: number; metric: number }, { predictions: number[] }>(outDir);
    const weight = tf.variable(tf.tensor1d([1, 2]), true, 'w');
    const offer = async (step: number, metric: number) => {
      weight.assign(tf.tensor1d([step, metric]));
      return selection.offer({ step, metric }, { metrics: { accuracy: metric } }, { predictions: [step] }, new Map([['w', weight]]), { config: { k: 1 } });
    };
    expect(await offer(10, 0.5)).toBe(true);
    expect(await offer(20, 0.7)).toBe(true);
    expect(await offer(30, 0.7)).toBe(false); // a tie keeps the earlier pass
    expect(await offer(40, 0.6)).toBe(false);
    expect(selection.best).toEqual({ step: 20, metric: 0.7 });
    expect(selection.history.map((pass) => pass.step)).toEqual([10, 20, 30, 40]);
    const log = (await readFile(selection.logPath, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { step: number; best: boolean });
    expect(log.map((line) => [line.step, line.best])).toEqual([
      [10, true],
      [20, true],
      [30, false],
      [40, false],
    ]);
    const saved = await readCheckpoint(selection.checkpointPath);
    expect(Array.from(saved.weights['w']!.data as Float32Array)).toEqual([20, Math.fround(0.7)]);
    expect(saved.metadata).toMatchObject({ step: 20, config: { k: 1 }, bestMetric: 0.7 });

    const resumed = new BestByValidation<{ step: number; metric: number }, { predictions: number[] }>(outDir);
    resumed.restore(selection.state());
    expect(resumed.details).toEqual({ step: 20, metric: 0.7, predictions: [20] });
    // The details file belongs to another pass (written after the checkpoint the state came from): not trusted.
    await writeFile(resumed.detailsPath, JSON.stringify({ step: 50, metric: 0.9, predictions: [] }));
    resumed.restore(selection.state());
    expect(resumed.details).toBeUndefined();
    weight.dispose();
  });
});
