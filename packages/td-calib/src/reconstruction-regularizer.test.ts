import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, Linear, readCheckpoint, SeededRandom, valueAndGrads } from '@umd/core';
import { expectStableTensorCount, expectTensorClose, useBackend } from '@umd/core/testing';
import { UmdModel } from '@umd/encoders';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { microConfig, microMrConfig, writeRandomMrCheckpoint } from './__fixtures__/micro.js';
import {
  createReconstructionRegularizer,
  reconstructionWeightAt,
  type ReconstructionBatch,
  type ReconstructionRegularizerOptions,
} from './reconstruction-regularizer.js';

const model = microConfig(40);
const tokens = { maskTokenId: 4, specialTokenIds: [0, 1, 2, 3, 4] };

/** B random images and texts: [CLS]=2, words of 1–2 tokens (ids 5..39), [SEP]=3. The caller disposes `images`. */
function taskBatch(random: SeededRandom, B = 4, T = 10): ReconstructionBatch & { images: tf.Tensor4D } {
  const tokenIds = new Int32Array(B * T);
  const attentionMask = new Int32Array(B * T).fill(1);
  const wordIds = new Int32Array(B * T).fill(-1);
  for (let b = 0; b < B; b++) {
    tokenIds[b * T] = 2;
    for (let t = 1; t < T - 1; t++) {
      tokenIds[b * T + t] = 5 + random.integer(35);
      wordIds[b * T + t] = Math.floor((t - 1) / 2);
    }
    tokenIds[b * T + T - 1] = 3;
  }
  return { images: tf.tensor4d(random.uniformArray(B * 32 * 32), [B, 32, 32, 1]), tokenIds, attentionMask, wordIds };
}

describe('createReconstructionRegularizer', () => {
  let root: string;
  let checkpoint: string;

  beforeAll(async () => {
    await useBackend('cpu');
    root = await mkdtemp(path.join(os.tmpdir(), 'td-calib-regularizer-'));
    checkpoint = path.join(root, 'mr.safetensors');
    await writeRandomMrCheckpoint(checkpoint, model, microMrConfig, 9);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const create = (student: UmdModel, overrides: Partial<ReconstructionRegularizerOptions> = {}) =>
    createReconstructionRegularizer({ model: student, checkpoint, start: 0.5, decaySteps: 8, seed: 1, tokens, ...overrides });

  it('decays the weight from start to 0 (linear or cosine) and returns undefined after step decaySteps, without a forward pass', () => {
    // 1-based steps, as @umd/tasks passes them: `start` on the first step, 0 after step decaySteps.
    expect([1, 3, 5, 7, 8, 9, 10, 100].map((step) => reconstructionWeightAt(step, 0.5, 8))).toEqual([0.5, 0.375, 0.25, 0.125, 0.0625, 0, 0, 0]);
    expect(reconstructionWeightAt(1, 0.5, 8, 'cosine')).toBeCloseTo(0.5, 12);
    expect(reconstructionWeightAt(5, 0.5, 8, 'cosine')).toBeCloseTo(0.25, 12);
    expect(reconstructionWeightAt(3, 0.5, 8, 'cosine')).toBeCloseTo(0.25 * (1 + Math.SQRT1_2), 12);
    expect(reconstructionWeightAt(8, 0.5, 8, 'cosine')).toBeGreaterThan(0);
    expect(reconstructionWeightAt(9, 0.5, 8, 'cosine')).toBe(0);

    const student = new UmdModel(model, new SeededRandom(0));
    const regularizer = create(student, { schedule: 'cosine' });
    expect(regularizer.name).toBe('reconstruction');
    expect(regularizer.weightAt(5)).toBeCloseTo(0.25, 12);
    const batch = taskBatch(new SeededRandom(2));
    const forward = vi.spyOn(student, 'forward');
    const count = tf.memory().numTensors;
    for (const step of [9, 10, 50]) expect(regularizer.compute(batch, step)).toBeUndefined();
    expect(forward).not.toHaveBeenCalled();
    expect(tf.memory().numTensors).toBe(count);
    const value = tf.tidy(() => regularizer.compute(batch, 8)!.dataSync()[0]!);
    expect(value).toBeGreaterThan(0);
    expect(forward).toHaveBeenCalled();
    batch.images.dispose();
    regularizer.dispose();
    student.dispose();
  });

  it('registers the MR heads and loads them (and only them) from the checkpoint', async () => {
    const student = new UmdModel(model, new SeededRandom(3));
    const task = student.heads.register('vqa', new Linear(32, 5, new SeededRandom(4)));
    const encoderBefore = Float32Array.from(student.parameterMap().get('vision.blocks.0.mlp.fc1.weight')!.dataSync());
    const taskBefore = Float32Array.from(task.parameters()[0]!.variable.dataSync());
    const regularizer = create(student);
    expect(student.heads.names()).toEqual(['vqa', 'mimDecoder', 'mlm', 'itm', 'feaMim', 'feaMlm']);
    expect(regularizer.config).toEqual(microMrConfig); // the checkpoint's config.mrPretrain
    const { weights } = await readCheckpoint(checkpoint);
    for (const name of ['heads.mimDecoder.pred.weight', 'heads.mlm.transform.weight', 'heads.itm.classifier.weight', 'heads.feaMlm.weight']) {
      expectTensorClose(student.parameterMap().get(name)!, weights[name]!.data, { atol: 0, rtol: 0, label: name });
    }
    expectTensorClose(student.parameterMap().get('vision.blocks.0.mlp.fc1.weight')!, encoderBefore, { atol: 0, rtol: 0 });
    expectTensorClose(task.parameters()[0]!.variable, taskBefore, { atol: 0, rtol: 0 });
    regularizer.dispose();
    student.dispose();

    // Terms switched off register no head; without a checkpoint an MR config is required.
    const other = new UmdModel(model, new SeededRandom(5));
    const small = create(other, { terms: { itm: false, feaMim: false, feaMlm: false } });
    expect(other.heads.names()).toEqual(['mimDecoder', 'mlm']);
    small.dispose();
    expect(() => createReconstructionRegularizer({ model: other, start: 1, decaySteps: 4, seed: 0, tokens })).toThrow(InvalidConfigError);
    expect(() => create(other, { start: -1 })).toThrow(InvalidConfigError);
    expect(() => create(other, { decaySteps: 0 })).toThrow(InvalidConfigError);
    other.dispose();
  });

  it('inside the tuning step’s tape: weight(step) × L, gradients for the encoders and the MR heads, no leaks', async () => {
    const initial = tf.memory().numTensors;
    const student = new UmdModel(model, new SeededRandom(6));
    const twin = new UmdModel(model, new SeededRandom(6));
    const linear = create(student);
    const cosine = create(twin, { schedule: 'cosine' });
    const batch = taskBatch(new SeededRandom(7));
    const read = (regularizer: typeof linear, step: number): number => tf.tidy(() => regularizer.compute(batch, step)!.dataSync()[0]!);
    // Deterministic per step (the masks come from (seed, step)), and weight × the same L whatever the schedule.
    expect(read(linear, 3)).toBe(read(linear, 3));
    expect(read(linear, 3)).not.toBe(read(linear, 4));
    expect(read(linear, 3) / linear.weightAt(3)).toBeCloseTo(read(cosine, 3) / cosine.weightAt(3), 5);

    const names = tf.tidy(() => {
      const { grads } = valueAndGrads(() => linear.compute(batch, 1)!, student.parameters());
      return Object.keys(grads);
    });
    for (const prefix of ['vision.', 'text.', 'fusion.', 'heads.mimDecoder.', 'heads.mlm.', 'heads.itm.', 'heads.feaMim.', 'heads.feaMlm.']) {
      expect(
        names.some((name) => name.startsWith(prefix)),
        prefix,
      ).toBe(true);
    }

    // A tuning step with the regularizer leaks nothing; dispose() frees the teacher.
    let step = 1;
    await expectStableTensorCount(() =>
      tf.tidy(() => {
        const { value } = valueAndGrads(
          () =>
            tf.add(
              tf.mean(
                tf.square(student.forward({ images: batch.images, tokenIds: tf.tensor2d(batch.tokenIds as Int32Array, [4, 10], 'int32') }).fusion.pooled),
              ),
              linear.compute(batch, step++)!,
            ) as tf.Scalar,
          student.parameters(),
        );
        return value;
      }),
    );
    // A single-sample batch has no other image for L_ITM: nothing this step.
    const single = taskBatch(new SeededRandom(8), 1);
    expect(linear.compute(single, 1)).toBeUndefined();
    single.images.dispose();
    batch.images.dispose();
    for (const item of [linear, cosine, student, twin]) item.dispose();
    expect(tf.memory().numTensors).toBe(initial);
  });
});
