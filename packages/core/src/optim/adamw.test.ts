import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { CheckpointMismatchError } from '../errors/checkpoint-mismatch-error.js';
import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import type { Parameter } from '../nn/module.js';
import { AdamW } from './adamw.js';

interface Hyper {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

/** Plain-JS torch.optim.AdamW for one element: the value after each step. */
function referenceAdamW(initial: number, gradients: readonly number[], hyper: Hyper): number[] {
  const { learningRate: lr, beta1, beta2, epsilon, weightDecay } = hyper;
  let p = initial;
  let m = 0;
  let v = 0;
  const values: number[] = [];
  gradients.forEach((g, index) => {
    const t = index + 1;
    p = p * (1 - lr * weightDecay);
    m = beta1 * m + (1 - beta1) * g;
    v = beta2 * v + (1 - beta2) * g * g;
    const mHat = m / (1 - beta1 ** t);
    const vHat = v / (1 - beta2 ** t);
    p = p - (lr * mHat) / (Math.sqrt(vHat) + epsilon);
    values.push(p);
  });
  return values;
}

const created: tf.Tensor[] = [];

function parameter(name: string, values: number[], weightDecay = true): Parameter {
  const value = tf.tensor1d(values);
  const variable = tf.variable(value, true);
  value.dispose();
  created.push(variable);
  return { name, variable, weightDecay };
}

function gradient(values: number[]): tf.Tensor {
  const tensor = tf.tensor1d(values);
  created.push(tensor);
  return tensor;
}

async function values(tensor: tf.Tensor): Promise<number[]> {
  return Array.from(await tensor.data());
}

/** A slot of the optimizer, which must exist. */
function slot(optimizer: AdamW, name: string): tf.Tensor {
  const tensor = optimizer.weights()[name];
  if (tensor === undefined) throw new Error(`no slot ${name}`);
  return tensor;
}

function expectClose(actual: readonly number[], expected: readonly number[], tolerance = 1e-6): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((value, index) => expect(Math.abs(value - (expected[index] ?? NaN))).toBeLessThan(tolerance));
}

const hyper: Hyper = { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 };
const initial = [1.5, -0.7];
const gradientsPerStep = [
  [0.5, -0.3],
  [0.1, 0.2],
  [-0.4, 0.05],
];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  tf.dispose(created.splice(0));
});

describe('AdamW', () => {
  it.each([
    ['without weight decay', 0],
    ['with weight decay', 0.1],
  ])('matches a hand-computed AdamW for 3 steps %s', async (_label, weightDecay) => {
    const p = parameter('encoder.weight', initial);
    const optimizer = new AdamW([p], { ...hyper, weightDecay });
    const expected = initial.map((value, element) =>
      referenceAdamW(
        value,
        gradientsPerStep.map((step) => step[element] ?? NaN),
        { ...hyper, weightDecay },
      ),
    );
    for (const [index, step] of gradientsPerStep.entries()) {
      optimizer.applyGradients({ 'encoder.weight': gradient(step) });
      expectClose(
        await values(p.variable),
        expected.map((perElement) => perElement[index] ?? NaN),
      );
    }
    expect(optimizer.step).toBe(3);
    optimizer.dispose();
  });

  it('uses the default hyper-parameters of torch.optim.AdamW', async () => {
    const p = parameter('w', initial);
    const optimizer = new AdamW([p], { learningRate: 0.1 });
    optimizer.applyGradients({ w: gradient(gradientsPerStep[0] ?? []) });
    const expected = initial.map((value, element) => referenceAdamW(value, [gradientsPerStep[0]?.[element] ?? NaN], { ...hyper, weightDecay: 0.01 })[0] ?? NaN);
    expectClose(await values(p.variable), expected);
    optimizer.dispose();
  });

  it('never decays parameters created with weightDecay: false', async () => {
    const decayed = parameter('block.weight', [2, -2]);
    const kept = parameter('block.bias', [2, -2], false);
    const optimizer = new AdamW([decayed, kept], { learningRate: 0.1, weightDecay: 0.5 });
    for (let step = 0; step < 3; step++) {
      // Zero gradients: the Adam part of the update is 0, only the decay moves the weights.
      optimizer.applyGradients({ 'block.weight': gradient([0, 0]), 'block.bias': gradient([0, 0]) });
    }
    expectClose(await values(decayed.variable), [2 * 0.95 ** 3, -2 * 0.95 ** 3]);
    expect(await values(kept.variable)).toEqual([2, -2]);
    optimizer.dispose();
  });

  it('applies group learning-rate multipliers and weight decay, first matching prefix wins', async () => {
    const encoder = parameter('encoder.weight', initial);
    const head = parameter('heads.vqa.weight', initial);
    const other = parameter('heads.itm.weight', initial);
    const optimizer = new AdamW([encoder, head, other], {
      ...hyper,
      weightDecay: 0.1,
      groups: [
        { prefix: 'heads.vqa.', learningRateMultiplier: 10, weightDecay: 0 },
        { prefix: 'heads.', learningRateMultiplier: 2 },
      ],
    });
    for (const step of gradientsPerStep) {
      const grads = { 'encoder.weight': gradient(step), 'heads.vqa.weight': gradient(step), 'heads.itm.weight': gradient(step) };
      optimizer.applyGradients(grads);
    }
    const expected = (options: Hyper): number[] =>
      initial.map(
        (value, element) =>
          referenceAdamW(
            value,
            gradientsPerStep.map((step) => step[element] ?? NaN),
            options,
          )[2] ?? NaN,
      );
    expectClose(await values(encoder.variable), expected({ ...hyper, weightDecay: 0.1 }));
    expectClose(await values(head.variable), expected({ ...hyper, learningRate: 1, weightDecay: 0 }), 1e-5);
    expectClose(await values(other.variable), expected({ ...hyper, learningRate: 0.2, weightDecay: 0.1 }));
    optimizer.dispose();
  });

  it('throws on a gradient for an unknown name and updates nothing', async () => {
    const p = parameter('encoder.weight', initial);
    const optimizer = new AdamW([p], hyper);
    expect(() => optimizer.applyGradients({ 'encoder.weight': gradient([1, 1]), 'decoder.weight': gradient([1, 1]) })).toThrow(InvalidConfigError);
    expect(await values(p.variable)).toEqual(Array.from(new Float32Array(initial)));
    expect(optimizer.step).toBe(0);
    expect(optimizer.weights()).toEqual({});
  });

  it('throws ShapeMismatchError on a gradient of the wrong shape', () => {
    const p = parameter('encoder.weight', initial);
    const optimizer = new AdamW([p], hyper);
    expect(() => optimizer.applyGradients({ 'encoder.weight': gradient([1, 1, 1]) })).toThrow(ShapeMismatchError);
  });

  it('leaves a parameter without gradient untouched and bias-corrects its first update later', async () => {
    const early = parameter('encoder.weight', initial);
    const late = parameter('heads.weight', initial);
    const optimizer = new AdamW([early, late], hyper);
    optimizer.applyGradients({ 'encoder.weight': gradient([1, 1]) });
    optimizer.applyGradients({ 'encoder.weight': gradient([1, 1]) });
    expect(await values(late.variable)).toEqual(Array.from(new Float32Array(initial)));
    expect(Object.keys(optimizer.weights())).toEqual(['encoder.weight/m', 'encoder.weight/v']);

    optimizer.applyGradients({ 'heads.weight': gradient([0.5, -0.3]) });
    const firstStep = initial.map((value, element) => referenceAdamW(value, [[0.5, -0.3][element] ?? NaN], hyper)[0] ?? NaN);
    expectClose(await values(late.variable), firstStep);
    expect(optimizer.state()).toEqual({ step: 3, parameterSteps: { 'encoder.weight': 2, 'heads.weight': 1 } });
    optimizer.dispose();
  });

  it('uses the learning rate set with setLearningRate', async () => {
    const p = parameter('w', initial);
    const optimizer = new AdamW([p], hyper);
    optimizer.setLearningRate(0.01);
    expect(optimizer.learningRate).toBe(0.01);
    optimizer.applyGradients({ w: gradient([0.5, -0.3]) });
    const expected = initial.map((value, element) => referenceAdamW(value, [[0.5, -0.3][element] ?? NaN], { ...hyper, learningRate: 0.01 })[0] ?? NaN);
    expectClose(await values(p.variable), expected);
    expect(() => optimizer.setLearningRate(Number.NaN)).toThrow(InvalidConfigError);
    optimizer.dispose();
  });

  it('rejects invalid options', () => {
    const p = parameter('w', initial);
    expect(() => new AdamW([p], { learningRate: -1 })).toThrow(InvalidConfigError);
    expect(() => new AdamW([p], { learningRate: 0.1, beta1: 1 })).toThrow(InvalidConfigError);
    expect(() => new AdamW([p], { learningRate: 0.1, epsilon: 0 })).toThrow(InvalidConfigError);
    expect(() => new AdamW([p], { learningRate: 0.1, weightDecay: -0.1 })).toThrow(InvalidConfigError);
    expect(() => new AdamW([p], { learningRate: 0.1, groups: [{ prefix: '', learningRateMultiplier: 1 }] })).toThrow(InvalidConfigError);
    expect(() => new AdamW([p, p], { learningRate: 0.1 })).toThrow(InvalidConfigError);
  });

  it('gives identical next updates after a weights()/restore() round trip', async () => {
    const a = [parameter('encoder.weight', initial), parameter('encoder.bias', [0.1, 0.2], false)];
    const source = new AdamW(a, { ...hyper, weightDecay: 0.1 });
    source.applyGradients({ 'encoder.weight': gradient([0.5, -0.3]), 'encoder.bias': gradient([0.2, 0.2]) });
    source.applyGradients({ 'encoder.weight': gradient([0.1, 0.2]) });

    const b = await Promise.all(a.map(async (p) => parameter(p.name, await values(p.variable), p.weightDecay)));
    const target = new AdamW(b, { ...hyper, weightDecay: 0.1 });
    target.restore(source.weights(), source.state());
    expect(target.step).toBe(2);
    expect(target.state()).toEqual(source.state());

    for (const step of gradientsPerStep) {
      const grads = { 'encoder.weight': gradient(step), 'encoder.bias': gradient(step) };
      source.applyGradients(grads);
      target.applyGradients(grads);
      for (const [index, p] of a.entries()) {
        expect(await values(b[index]?.variable ?? p.variable)).toEqual(await values(p.variable));
      }
    }
    for (const [name, tensor] of Object.entries(source.weights())) {
      expect(await values(slot(target, name))).toEqual(await values(tensor));
    }
    source.dispose();
    target.dispose();
  });

  it('restores checkpoints that stored only the global step', async () => {
    const p = parameter('w', initial);
    const optimizer = new AdamW([p], hyper);
    optimizer.applyGradients({ w: gradient([0.5, -0.3]) });
    const saved = Object.fromEntries(Object.entries(optimizer.weights()).map(([name, tensor]) => [name, tf.clone(tensor)]));
    optimizer.applyGradients({ w: gradient([0.1, 0.2]) });
    optimizer.restore(saved, { step: 1 });
    tf.dispose(Object.values(saved));
    expect(optimizer.state()).toEqual({ step: 1, parameterSteps: { w: 1 } });
    // The same restore on itself keeps its values (self-assignment must not free the slots).
    optimizer.restore(optimizer.weights(), optimizer.state());
    expect(await values(slot(optimizer, 'w/m'))).toHaveLength(2);
    optimizer.dispose();
  });

  it('rejects mismatched checkpoints without changing its state', async () => {
    const p = parameter('encoder.weight', initial);
    const optimizer = new AdamW([p], hyper);
    optimizer.applyGradients({ 'encoder.weight': gradient([0.5, -0.3]) });
    const before = await values(slot(optimizer, 'encoder.weight/m'));

    const wrongShape = { 'encoder.weight/m': gradient([1, 2, 3]), 'encoder.weight/v': gradient([1, 2, 3]) };
    const unknown = { 'decoder.weight/m': gradient([1, 2]), 'decoder.weight/v': gradient([1, 2]) };
    const missingV = { 'encoder.weight/m': gradient([1, 2]) };
    for (const weights of [wrongShape, unknown, missingV]) {
      expect(() => optimizer.restore(weights, { step: 5 })).toThrow(CheckpointMismatchError);
    }
    expect(() => optimizer.restore({}, { step: -1 })).toThrow(CheckpointMismatchError);
    expect(optimizer.step).toBe(1);
    expect(await values(slot(optimizer, 'encoder.weight/m'))).toEqual(before);
    optimizer.dispose();
  });

  it('does not leak tensors across steps and frees everything in dispose()', () => {
    const parameters = [parameter('encoder.weight', initial), parameter('encoder.bias', [0, 0], false), parameter('heads.weight', initial)];
    const grads = { 'encoder.weight': gradient([0.5, -0.3]), 'encoder.bias': gradient([0.1, 0.1]), 'heads.weight': gradient([1, 2]) };
    const start = tf.memory().numTensors;
    const optimizer = new AdamW(parameters, { ...hyper, weightDecay: 0.1, groups: [{ prefix: 'heads.', learningRateMultiplier: 10 }] });
    optimizer.applyGradients(grads);
    optimizer.applyGradients(grads);
    const warm = tf.memory().numTensors;
    for (let step = 0; step < 5; step++) {
      optimizer.setLearningRate(0.1 / (step + 1));
      optimizer.applyGradients(grads);
    }
    expect(tf.memory().numTensors).toBe(warm);
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});
