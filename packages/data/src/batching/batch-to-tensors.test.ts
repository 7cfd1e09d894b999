import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from '@umd/core';
import { expectNoTensorLeak, useBackend } from '@umd/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';

import { batchToTensors } from './batch-to-tensors.js';

beforeAll(async () => {
  await useBackend('cpu');
});

describe('batchToTensors', () => {
  it('makes float32 and int32 tensors of the given shapes; the caller disposes them', async () => {
    const images = { data: new Float32Array(2 * 4 * 4 * 1).fill(0.5), shape: [2, 4, 4, 1] };
    const inputIds = { data: Int32Array.from([101, 2003, 102, 101, 102, 0]), shape: [2, 3] };
    const before = tf.memory().numTensors;
    const tensors = batchToTensors({ images, inputIds });
    expect(tensors.images.shape).toEqual([2, 4, 4, 1]);
    expect(tensors.images.dtype).toBe('float32');
    expect(tensors.inputIds.dtype).toBe('int32');
    expect(Array.from(await tensors.inputIds.data())).toEqual([101, 2003, 102, 101, 102, 0]);
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose(tensors);
    expect(tf.memory().numTensors).toBe(before);
    await expectNoTensorLeak(() => batchToTensors({ images, inputIds }));
  });

  it('rejects data whose length does not match its shape, creating no tensor', async () => {
    await expectNoTensorLeak(() => {
      expect(() => batchToTensors({ images: { data: new Float32Array(4), shape: [1, 2, 2, 1] }, mask: { data: new Int32Array(5), shape: [2, 3] } })).toThrow(
        ShapeMismatchError,
      );
    });
  });
});
