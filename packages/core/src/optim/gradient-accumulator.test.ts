import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { GradientAccumulator } from './gradient-accumulator.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function values(tensor: tf.Tensor | undefined): Promise<number[]> {
  if (tensor === undefined) throw new Error('missing tensor');
  return Array.from(await tensor.data());
}

describe('GradientAccumulator', () => {
  it('averages gradients over micro-batches without touching the inputs', async () => {
    const batches = [
      { w: tf.tensor1d([1, 2]), b: tf.scalar(3) },
      { w: tf.tensor1d([3, -2]), b: tf.scalar(6) },
      { w: tf.tensor1d([2, 6]), b: tf.scalar(0) },
    ];
    const accumulator = new GradientAccumulator();
    for (const grads of batches) accumulator.add(grads);
    expect(accumulator.count).toBe(3);
    tf.dispose(batches.flatMap((grads) => Object.values(grads)));

    const mean = accumulator.mean();
    expect(await values(mean.w)).toEqual([2, 2]);
    expect(await values(mean.b)).toEqual([3]);
    expect(mean.b?.shape).toEqual([]);
    tf.dispose(Object.values(mean));
    accumulator.dispose();
  });

  it('counts a gradient missing from a micro-batch as zero', async () => {
    const accumulator = new GradientAccumulator();
    const first = { w: tf.tensor1d([2, 4]), head: tf.tensor1d([6]) };
    const second = { w: tf.tensor1d([4, 2]) };
    accumulator.add(first);
    accumulator.add(second);
    const mean = accumulator.mean();
    expect(await values(mean.w)).toEqual([3, 3]);
    expect(await values(mean.head)).toEqual([3]);
    tf.dispose([...Object.values(first), ...Object.values(second), ...Object.values(mean)]);
    accumulator.dispose();
  });

  it('starts over after reset() and refuses mean() when empty', async () => {
    const accumulator = new GradientAccumulator();
    expect(() => accumulator.mean()).toThrow(InvalidConfigError);
    const grads = { w: tf.tensor1d([1, 1]) };
    accumulator.add(grads);
    accumulator.reset();
    expect(accumulator.count).toBe(0);
    expect(() => accumulator.mean()).toThrow(InvalidConfigError);
    accumulator.add(grads);
    const mean = accumulator.mean();
    expect(await values(mean.w)).toEqual([1, 1]);
    tf.dispose([grads.w, mean.w as tf.Tensor]);
    accumulator.dispose();
  });

  it('rejects a gradient whose shape changed', () => {
    const accumulator = new GradientAccumulator();
    const first = { w: tf.tensor1d([1, 1]) };
    const second = { w: tf.tensor1d([1, 1, 1]) };
    accumulator.add(first);
    expect(() => accumulator.add(second)).toThrow(ShapeMismatchError);
    expect(accumulator.count).toBe(1);
    tf.dispose([first.w, second.w]);
    accumulator.dispose();
  });

  it('keeps a constant number of tensors across steps and frees them all', () => {
    const grads = { w: tf.tensor2d([[1, 2]]), b: tf.tensor1d([3]) };
    const start = tf.memory().numTensors;
    const accumulator = new GradientAccumulator();
    accumulator.add(grads);
    const held = tf.memory().numTensors;
    expect(held).toBe(start + 2);
    for (let step = 0; step < 5; step++) accumulator.add(grads);
    expect(tf.memory().numTensors).toBe(held);
    const mean = accumulator.mean();
    tf.dispose(Object.values(mean));
    expect(tf.memory().numTensors).toBe(held);
    accumulator.dispose();
    expect(tf.memory().numTensors).toBe(start);
    tf.dispose(Object.values(grads));
  });
});
