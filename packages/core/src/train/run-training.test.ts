import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { FileWriteError } from '../errors/file-write-error.js';
import { RunFolderLockedError } from '../errors/run-folder-locked-error.js';
import { Linear } from '../nn/linear.js';
import { AdamW } from '../optim/adamw.js';
import { SeededRandom } from '../random/seeded-random.js';
import { lockRunFolder } from '../run/lock-run-folder.js';
import { initRuntime } from '../runtime/init-runtime.js';
import { valueAndGrads } from '../runtime/value-and-grads.js';
import { appendJsonLine, runTraining, stackTerms, type TrainingEvent } from './run-training.js';

/** A linear regression whose loss has two terms (mse and an L2 penalty), seeded so two runs are the same run. */
function setup() {
  const random = new SeededRandom(3);
  const model = new Linear(4, 1, random);
  const optimizer = new AdamW(model.parameters(), { learningRate: 0.05 });
  let position = 0;
  const resumable = { state: () => ({ position }), restore: (state: unknown) => void (position = (state as { position: number }).position) };
  const trainStep = (step: number) => {
    const x = tf.tensor2d(new SeededRandom(`${position++}`).normalArray(8 * 4), [8, 4]);
    const terms: { mse?: tf.Scalar; l2?: tf.Scalar } = {};
    const loss = tf.tidy(() => {
      const { value, grads } = valueAndGrads(() => {
        const mse = tf.mean(tf.square(tf.sub(model.forward(x), tf.sum(x, 1, true)))) as tf.Scalar;
        const l2 = tf.mul(0.01, tf.sum(tf.square(model.weight))) as tf.Scalar;
        terms.mse = tf.keep(tf.clone(mse));
        terms.l2 = tf.keep(tf.clone(l2));
        return tf.add(mse, l2) as tf.Scalar;
      }, model.parameters());
      optimizer.applyGradients(grads);
      return value;
    });
    x.dispose();
    return { loss, terms: stackTerms(terms), info: { odd: step % 2 === 1 } };
  };
  return { random, model, optimizer, resumable, trainStep, dispose: () => (optimizer.dispose(), model.dispose()) };
}

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'umd-run-training-'));
  dirs.push(dir);
  return dir;
}

const readLines = async (file: string): Promise<Record<string, unknown>[]> =>
  (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('runTraining (the run harness)', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'cpu' });
  });
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('writes one metrics line per step with the terms read back, passes info on, and leaves no tensor behind', async () => {
    const outDir = await tempDir();
    const before = tf.memory().numTensors;
    const run = setup();
    const events: TrainingEvent<{ odd: boolean }>[] = [];
    const result = await runTraining({
      outDir,
      model: run.model,
      optimizer: run.optimizer,
      random: run.random,
      data: run.resumable,
      maxSteps: 6,
      checkpointEvery: 2,
      keepCheckpoints: 2,
      trainStep: run.trainStep,
      onEvent: (event) => events.push(event),
    });
    run.dispose();
    expect(tf.memory().numTensors).toBe(before); // the model and optimizer gone, nothing of the run is left
    expect(result).toMatchObject({ step: 6, reason: 'completed', metricsPath: path.join(outDir, 'metrics.jsonl') });
    const lines = await readLines(result.metricsPath);
    expect(lines.map((line) => line['step'])).toEqual([1, 2, 3, 4, 5, 6]);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(['step', 'mse', 'l2', 'loss', 'lr', 'ms']);
      expect((line['mse'] as number) + (line['l2'] as number)).toBeCloseTo(line['loss'] as number, 5);
    }
    const stepEnds = events.filter((event) => event.type === 'step-end');
    expect(stepEnds.map((event) => event.info?.odd)).toEqual([true, false, true, false, true, false]);
    expect(stepEnds[0]!.terms['mse']).toBe(lines[0]!['mse']);
    expect((await readdir(result.checkpointDir)).sort()).toEqual(['step-000004.safetensors', 'step-000006.safetensors']);
  });

  it('rewinds metrics.jsonl and the other logs to the checkpoint on resume, and the resumed run ends where a whole one does', async () => {
    const whole = setup();
    const wholeDir = await tempDir();
    const wholeRun = await runTraining({
      outDir: wholeDir,
      model: whole.model,
      optimizer: whole.optimizer,
      random: whole.random,
      data: whole.resumable,
      maxSteps: 6,
      checkpointEvery: 2,
      trainStep: whole.trainStep,
    });
    whole.dispose();

    const outDir = await tempDir();
    const log = path.join(outDir, 'validation.jsonl');
    const first = setup();
    const controller = new AbortController();
    await runTraining({
      outDir,
      model: first.model,
      optimizer: first.optimizer,
      random: first.random,
      data: first.resumable,
      maxSteps: 6,
      checkpointEvery: 2,
      logs: [log],
      signal: controller.signal,
      trainStep: async (step) => {
        await writeFile(log, `${JSON.stringify({ step })}\n`, { flag: 'a' });
        if (step === 3) controller.abort(); // stops after step 3, writing a checkpoint of step 3
        return first.trainStep(step);
      },
    });
    first.dispose();
    // What a kill after step 3's checkpoint leaves behind: lines of steps the checkpoint does not hold.
    await writeFile(log, `${JSON.stringify({ step: 4 })}\n`, { flag: 'a' });
    await writeFile(path.join(outDir, 'metrics.jsonl'), `${JSON.stringify({ step: 4, loss: 0 })}\n`, { flag: 'a' });

    const second = setup();
    const resumed = await runTraining({
      outDir,
      model: second.model,
      optimizer: second.optimizer,
      random: second.random,
      data: second.resumable,
      maxSteps: 6,
      checkpointEvery: 2,
      logs: [log],
      resume: true,
      trainStep: second.trainStep,
    });
    second.dispose();
    expect((await readLines(log)).map((line) => line['step'])).toEqual([1, 2, 3]);
    const lines = await readLines(resumed.metricsPath);
    expect(lines.map((line) => line['step'])).toEqual([1, 2, 3, 4, 5, 6]);
    const wholeLines = await readLines(wholeRun.metricsPath);
    expect(lines.map((line) => line['loss'])).toEqual(wholeLines.map((line) => line['loss']));
  });

  it('names the file and the cause when a log cannot be appended to', async () => {
    const outDir = await tempDir();
    const file = path.join(outDir, 'missing-folder', 'validation.jsonl');
    expect(() => appendJsonLine(file, { step: 1 })).toThrow(new RegExp(`Cannot append to ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*ENOENT`));
    expect(() => appendJsonLine(file, { step: 1 })).toThrow(FileWriteError);
  });

  it('refuses a folder another run holds, saying "lock" and who holds it, before touching it', async () => {
    const outDir = await tempDir();
    const held = await lockRunFolder(outDir);
    const run = setup();
    try {
      const attempt = runTraining({ outDir, model: run.model, optimizer: run.optimizer, maxSteps: 2, checkpointEvery: 1, trainStep: run.trainStep });
      await expect(attempt).rejects.toBeInstanceOf(RunFolderLockedError);
      await expect(attempt).rejects.toThrow(new RegExp(`locked by another run: pid ${process.pid}`));
      expect(await readdir(outDir)).not.toContain('metrics.jsonl');
    } finally {
      await held.release();
      run.dispose();
    }
    // Released: the folder is free again.
    const again = setup();
    await expect(
      runTraining({ outDir, model: again.model, optimizer: again.optimizer, maxSteps: 1, checkpointEvery: 1, trainStep: again.trainStep }),
    ).resolves.toMatchObject({ step: 1 });
    again.dispose();
  });
});
