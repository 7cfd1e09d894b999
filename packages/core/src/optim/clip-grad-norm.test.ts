import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { clipGradNorm, globalNorm } from './clip-grad-norm.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('globalNorm', () => {
  it('is the L2 norm over all gradients together', async () => {
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor2d([[0, 4]]) };
    const norm = globalNorm(grads);
    expect(await norm.data()).toEqual(new Float32Array([5]));
    tf.dispose([norm, ...Object.values(grads)]);
  });

  it('is 0 for no gradients', async () => {
    const norm = globalNorm({});
    expect(norm.shape).toEqual([]);
    expect((await norm.data())[0]).toBe(0);
    norm.dispose();
  });
});

describe('clipGradNorm', () => {
  it('scales large gradients to exactly maxNorm and reports the norm before clipping', async () => {
    const grads = { a: tf.tensor1d([30, 0]), b: tf.tensor2d([[0, 40]]) };
    const { grads: clipped, norm } = clipGradNorm(grads, 5);
    expect((await norm.data())[0]).toBeCloseTo(50, 4);
    const after = globalNorm(clipped);
    expect((await after.data())[0]).toBeCloseTo(5, 5);
    expect(Array.from(await (clipped.a as tf.Tensor).data())).toEqual([expect.closeTo(3, 5), 0]);
    expect(clipped.b?.shape).toEqual([1, 2]);
    expect(Array.from(await grads.a.data())).toEqual([30, 0]);
    tf.dispose([norm, after, ...Object.values(clipped), ...Object.values(grads)]);
  });

  it('leaves gradients under maxNorm unchanged, as new tensors', async () => {
    const grads = { a: tf.tensor1d([0.3, -0.4]) };
    const { grads: clipped, norm } = clipGradNorm(grads, 1);
    expect(clipped.a).not.toBe(grads.a);
    expect(await (clipped.a as tf.Tensor).data()).toEqual(await grads.a.data());
    grads.a.dispose();
    expect(Array.from(await (clipped.a as tf.Tensor).data())).toEqual(Array.from(new Float32Array([0.3, -0.4])));
    tf.dispose([norm, ...Object.values(clipped)]);
  });

  it('rejects a non-positive maxNorm', () => {
    expect(() => clipGradNorm({}, 0)).toThrow(InvalidConfigError);
    expect(() => clipGradNorm({}, Number.POSITIVE_INFINITY)).toThrow(InvalidConfigError);
  });

  it('leaks nothing beyond the returned tensors', () => {
    const grads = { a: tf.tensor1d([30, 0]), b: tf.tensor2d([[0, 40]]) };
    const start = tf.memory().numTensors;
    const result = clipGradNorm(grads, 5);
    expect(tf.memory().numTensors).toBe(start + 3);
    tf.dispose([result.norm, ...Object.values(result.grads)]);
    const norm = globalNorm(grads);
    norm.dispose();
    expect(tf.memory().numTensors).toBe(start);
    tf.dispose(Object.values(grads));
  });
});
