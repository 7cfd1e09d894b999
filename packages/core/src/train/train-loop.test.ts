import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { NonFiniteLossError } from '../errors/non-finite-loss-error.js';
import { Dropout } from '../nn/dropout.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { AdamW } from '../optim/adamw.js';
import { SeededRandom } from '../random/seeded-random.js';
import { initRuntime } from '../runtime/init-runtime.js';
import { valueAndGrads } from '../runtime/value-and-grads.js';
import { expectStableTensorCount } from '../testing/expect-no-tensor-leak.js';
import { trainLoop, type Resumable, type TrainEvent } from './train-loop.js';

/** A regression model with dropout, so the generator state matters for exact resume. */
class Regressor extends Module {
  readonly hidden: Linear;
  readonly dropout: Dropout;
  readonly out: Linear;
  constructor(random: SeededRandom) {
    super();
    this.hidden = this.addModule('hidden', new Linear(4, 8, random));
    this.dropout = this.addModule('dropout', new Dropout(0.1, random));
    this.out = this.addModule('out', new Linear(8, 1, random));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.out.forward(this.dropout.forward(tf.relu(this.hidden.forward(x)))));
  }
}

/** 64 fixed samples, shuffled each epoch with its own generator; position and order are its resumable state. */
class ToyData implements Resumable {
  private readonly x: Float32Array;
  private readonly y: Float32Array;
  private order: number[] = [];
  private cursor = 0;
  private epoch = 0;
  constructor(private readonly random: SeededRandom) {
    const source = new SeededRandom(99);
    this.x = source.normalArray(64 * 4);
    this.y = this.x.filter((_, i) => i % 4 === 0).map((v, i) => 2 * v - this.x[i * 4 + 1]! + 0.5);
    this.reshuffle();
  }
  private reshuffle(): void {
    this.order = Array.from(this.random.permutation(64));
    this.cursor = 0;
  }
  next(batch: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
    if (this.cursor + batch > 64) {
      this.epoch += 1;
      this.reshuffle();
    }
    const ids = this.order.slice(this.cursor, this.cursor + batch);
    this.cursor += batch;
    const x = new Float32Array(batch * 4);
    ids.forEach((id, row) => x.set(this.x.subarray(id * 4, id * 4 + 4), row * 4));
    return {
      x: tf.tensor2d(x, [batch, 4]),
      y: tf.tensor2d(
        ids.map((id) => this.y[id]!),
        [batch, 1],
      ),
    };
  }
  state(): unknown {
    return { order: this.order, cursor: this.cursor, epoch: this.epoch, random: this.random.state() };
  }
  restore(state: unknown): void {
    const s = state as { order: number[]; cursor: number; epoch: number; random: ReturnType<SeededRandom['state']> };
    this.order = s.order;
    this.cursor = s.cursor;
    this.epoch = s.epoch;
    this.random.restore(s.random);
  }
}

/** Everything a run needs, built fresh from a seed (as a new process would). */
function setup(options: { poisonAt?: number } = {}) {
  const random = new SeededRandom(1);
  const model = new Regressor(random);
  const optimizer = new AdamW(model.parameters(), { learningRate: 0.01 });
  const data = new ToyData(random.fork('data'));
  const trainStep = (step: number): tf.Scalar => {
    const batch = data.next(8);
    const loss = tf.tidy(() => {
      const { value, grads } = valueAndGrads(() => {
        const mse = tf.mean(tf.squaredDifference(model.forward(batch.x), batch.y)) as tf.Scalar;
        return step === options.poisonAt ? (tf.mul(mse, NaN) as tf.Scalar) : mse;
      }, model.parameters());
      optimizer.applyGradients(grads);
      return value;
    });
    tf.dispose(batch);
    return loss;
  };
  const dispose = (): void => {
    optimizer.dispose();
    model.dispose();
  };
  return { random, model, optimizer, data, trainStep, dispose };
}

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'umd-train-loop-'));
  dirs.push(dir);
  return dir;
}

describe('trainLoop', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'cpu' });
  });
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('trains, reports events, and lowers the loss', async () => {
    const run = setup();
    const events: TrainEvent[] = [];
    const result = await trainLoop({
      model: run.model,
      optimizer: run.optimizer,
      trainStep: run.trainStep,
      maxSteps: 60,
      random: run.random,
      schedule: { baseLearningRate: 0.02, schedule: { kind: 'cosine', warmupSteps: 5, totalSteps: 60 } },
      samplesPerStep: 8,
      onEvent: (event) => events.push(event),
    });
    expect(result).toMatchObject({ step: 60, reason: 'completed' });
    const stepEnds = events.filter((e): e is Extract<TrainEvent, { type: 'step-end' }> => e.type === 'step-end');
    expect(stepEnds).toHaveLength(60);
    expect(stepEnds[0]!.learningRate).toBe(0);
    expect(stepEnds[5]!.learningRate).toBeCloseTo(0.02, 10);
    expect(stepEnds.at(-1)!.etaMs).toBe(0);
    expect(stepEnds[0]!.samplesPerSecond).toBeGreaterThan(0);
    const mean = (values: number[]): number => values.reduce((s, v) => s + v, 0) / values.length;
    expect(mean(result.losses.slice(-10))).toBeLessThan(0.5 * mean(result.losses.slice(0, 10)));
    run.dispose();
  });

  it('resumes exactly: 6 steps straight equal 3 steps, a fresh process, and 3 more', async () => {
    const straight = setup();
    const reference = await trainLoop({
      model: straight.model,
      optimizer: straight.optimizer,
      trainStep: straight.trainStep,
      maxSteps: 6,
      random: straight.random,
      data: straight.data,
    });
    straight.dispose();

    const dir = await tempDir();
    const first = setup();
    const firstHalf = await trainLoop({
      model: first.model,
      optimizer: first.optimizer,
      trainStep: first.trainStep,
      maxSteps: 3,
      random: first.random,
      data: first.data,
      checkpoint: { dir, every: 2 },
    });
    first.dispose();
    expect(await readdir(dir)).toEqual(['step-000002.safetensors', 'step-000003.safetensors']);

    const second = setup(); // new weights, new optimizer, new generator: everything must come from the checkpoint
    const events: TrainEvent[] = [];
    const secondHalf = await trainLoop({
      model: second.model,
      optimizer: second.optimizer,
      trainStep: second.trainStep,
      maxSteps: 6,
      random: second.random,
      data: second.data,
      checkpoint: { dir, every: 2 },
      resume: true,
      onEvent: (event) => events.push(event),
    });
    expect(events[0]).toEqual({ type: 'train-start', startStep: 3, maxSteps: 6, resumedFrom: path.join(dir, 'step-000003.safetensors') });
    expect([...firstHalf.losses, ...secondHalf.losses]).toEqual(reference.losses);
    second.dispose();
  });

  it('sets a damaged newest checkpoint aside, names it, and resumes exactly from the next older one', async () => {
    const straight = setup();
    const reference = await trainLoop({
      model: straight.model,
      optimizer: straight.optimizer,
      trainStep: straight.trainStep,
      maxSteps: 6,
      random: straight.random,
      data: straight.data,
    });
    straight.dispose();

    const dir = await tempDir();
    const first = setup();
    await trainLoop({
      model: first.model,
      optimizer: first.optimizer,
      trainStep: first.trainStep,
      maxSteps: 4,
      random: first.random,
      data: first.data,
      checkpoint: { dir, every: 2 },
    });
    first.dispose();
    const newest = path.join(dir, 'step-000004.safetensors');
    const bytes = await readFile(newest);
    bytes[bytes.length - 3]! ^= 0x40; // one flipped bit in the tensor data
    await writeFile(newest, bytes);
    await writeFile(path.join(dir, '.step-000006.safetensors.tmp-999999999-0a1b2c'), 'half a checkpoint'); // a write killed midway

    const second = setup();
    const events: TrainEvent[] = [];
    const resumed = await trainLoop({
      model: second.model,
      optimizer: second.optimizer,
      trainStep: second.trainStep,
      maxSteps: 6,
      random: second.random,
      data: second.data,
      checkpoint: { dir, every: 2, keepLast: 5 },
      resume: true,
      onEvent: (event) => events.push(event),
    });
    second.dispose();
    const setAside = events.find((event) => event.type === 'checkpoint-set-aside');
    expect(setAside).toMatchObject({ path: newest, movedTo: `${newest}.damaged` });
    expect((setAside as { reason: string }).reason).toMatch(/damaged.*SHA-256/);
    expect(events.find((event) => event.type === 'temp-files-remove')).toEqual({
      type: 'temp-files-remove',
      paths: [path.join(dir, '.step-000006.safetensors.tmp-999999999-0a1b2c')],
    });
    expect(events.find((event) => event.type === 'train-start')).toMatchObject({ startStep: 2, resumedFrom: path.join(dir, 'step-000002.safetensors') });
    expect(resumed.losses).toEqual(reference.losses.slice(2));
    expect((await readdir(dir)).sort()).toEqual([
      'step-000002.safetensors',
      'step-000004.safetensors',
      'step-000004.safetensors.damaged',
      'step-000006.safetensors',
    ]);
  });

  it('does not resume from a checkpoint past the plan: set aside on a search, an error for an explicit path', async () => {
    const dir = await tempDir();
    const first = setup();
    await trainLoop({
      model: first.model,
      optimizer: first.optimizer,
      trainStep: first.trainStep,
      maxSteps: 4,
      random: first.random,
      data: first.data,
      checkpoint: { dir, every: 4 },
    });
    first.dispose();
    const file = path.join(dir, 'step-000004.safetensors');
    const second = setup();
    await expect(
      trainLoop({
        model: second.model,
        optimizer: second.optimizer,
        trainStep: second.trainStep,
        maxSteps: 3,
        random: second.random,
        data: second.data,
        resume: file,
      }),
    ).rejects.toThrow(/step.*at most 3/);
    const events: TrainEvent[] = [];
    const result = await trainLoop({
      model: second.model,
      optimizer: second.optimizer,
      trainStep: second.trainStep,
      maxSteps: 3,
      random: second.random,
      data: second.data,
      checkpoint: { dir, every: 4 },
      resume: true,
      onEvent: (event) => events.push(event),
    });
    second.dispose();
    expect(events.find((event) => event.type === 'checkpoint-set-aside')).toMatchObject({ path: file, reason: "its step 4 is past the plan's last step 3" });
    expect(result).toMatchObject({ step: 3, reason: 'completed' }); // nothing older: a fresh start
    expect(events.find((event) => event.type === 'train-start')).toMatchObject({ startStep: 0 });
  });

  it('checkpoints and restores extra modules (an EMA teacher) exactly', async () => {
    /** Runs `steps` steps (resuming from `dir` if asked) with a teacher that follows the model by EMA. */
    const run = async (maxSteps: number, dir: string | undefined, resume: boolean): Promise<number[]> => {
      const r = setup();
      const teacher = new Regressor(new SeededRandom(7));
      const trainStep = (step: number): tf.Scalar => {
        const loss = r.trainStep(step);
        const student = r.model.parameterMap();
        for (const [name, variable] of teacher.parameterMap()) {
          tf.tidy(() => variable.assign(tf.add(tf.mul(variable, 0.9), tf.mul(student.get(name)!, 0.1))));
        }
        return loss;
      };
      await trainLoop({
        model: r.model,
        optimizer: r.optimizer,
        trainStep,
        maxSteps,
        random: r.random,
        data: r.data,
        extraModules: { teacher },
        ...(dir ? { checkpoint: { dir, every: 100 }, resume } : {}),
      });
      const values = Array.from(teacher.parameterMap().get('out.weight')!.dataSync());
      teacher.dispose();
      r.dispose();
      return values;
    };
    const straight = await run(6, undefined, false);
    const dir = await tempDir();
    await run(3, dir, false);
    expect(await run(6, dir, true)).toEqual(straight);
    // A checkpoint without the extra module's weights is refused, naming it.
    const other = setup();
    await expect(
      trainLoop({
        model: other.model,
        optimizer: other.optimizer,
        trainStep: other.trainStep,
        maxSteps: 7,
        random: other.random,
        extraModules: { student2: new Regressor(new SeededRandom(3)) },
        checkpoint: { dir, every: 100 },
        resume: true,
      }),
    ).rejects.toThrow(/extra\/student2/);
    other.dispose();
  });

  it('stops on a NaN loss with a clear error and keeps the last good checkpoint', async () => {
    const dir = await tempDir();
    const run = setup({ poisonAt: 5 });
    const attempt = trainLoop({
      model: run.model,
      optimizer: run.optimizer,
      trainStep: run.trainStep,
      maxSteps: 10,
      random: run.random,
      checkpoint: { dir, every: 2 },
    });
    await expect(attempt).rejects.toBeInstanceOf(NonFiniteLossError);
    await expect(attempt).rejects.toThrow(/Loss is NaN at step 5.*step-000004\.safetensors/);
    expect(await readdir(dir)).toEqual(['step-000002.safetensors', 'step-000004.safetensors']);
    // The surviving checkpoint holds finite weights and resumes.
    const resumed = setup();
    const result = await trainLoop({
      model: resumed.model,
      optimizer: resumed.optimizer,
      trainStep: resumed.trainStep,
      maxSteps: 6,
      random: resumed.random,
      checkpoint: { dir, every: 100 },
      resume: true,
    });
    expect(result.losses.every(Number.isFinite)).toBe(true);
    run.dispose();
    resumed.dispose();
  });

  it('writes a checkpoint and stops when aborted', async () => {
    const dir = await tempDir();
    const run = setup();
    const controller = new AbortController();
    const result = await trainLoop({
      model: run.model,
      optimizer: run.optimizer,
      maxSteps: 100,
      random: run.random,
      checkpoint: { dir, every: 50 },
      signal: controller.signal,
      trainStep: (step) => {
        if (step === 4) controller.abort();
        return run.trainStep(step);
      },
    });
    expect(result).toMatchObject({ step: 4, reason: 'aborted', lastCheckpoint: path.join(dir, 'step-000004.safetensors') });
    const header = await readFile(result.lastCheckpoint!);
    expect(header.length).toBeGreaterThan(8);
    run.dispose();
  });

  it('lets a timer abort it between steps (Ctrl-C handlers and time budgets are macrotasks)', async () => {
    const run = setup();
    const controller = new AbortController();
    let steps = 0;
    setTimeout(() => controller.abort(), 0);
    const result = await trainLoop({
      model: run.model,
      optimizer: run.optimizer,
      maxSteps: 10_000,
      random: run.random,
      signal: controller.signal,
      trainStep: (step) => {
        steps += 1;
        return run.trainStep(step);
      },
    });
    expect(result.reason).toBe('aborted');
    expect(steps).toBeLessThan(5);
    run.dispose();
  });

  it('keeps the tensor count constant from step to step', async () => {
    const run = setup();
    let step = 0;
    await expectStableTensorCount(() => run.trainStep(++step));
    const before = tf.memory().numTensors;
    run.dispose();
    // 4 parameters and their 8 Adam moments are freed.
    expect(before - tf.memory().numTensors).toBe(12);
  });
});
