import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from '@umd/core';
import { useBackend } from '@umd/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';

import { maskedCrossEntropy } from './masked-cross-entropy.js';

describe('maskedCrossEntropy', () => {
  beforeAll(() => useBackend('cpu'));

  it('averages −log softmax of the target over the valid samples only', () => {
    const logits = tf.tensor2d([[2, 0, 0], [0, 5, 0], [1, 1, 1]]);
    const loss = maskedCrossEntropy(logits, Int32Array.from([0, -1, 2]));
    const lse = (row: number[]): number => Math.log(row.reduce((sum, x) => sum + Math.exp(x), 0));
    expect(loss.dataSync()[0]).toBeCloseTo(((lse([2, 0, 0]) - 2) + (lse([1, 1, 1]) - 1)) / 2, 6);
    tf.dispose([logits, loss]);
  });

  it('gives no gradient to the rows of masked samples, and 0 when none is valid', () => {
    const logits = tf.tensor2d([[2, 0], [0, 5]]);
    const gradient = tf.grad((x: tf.Tensor) => maskedCrossEntropy(x, Int32Array.from([1, -1])))(logits);
    expect((gradient.arraySync() as number[][])[1]!.map(Math.abs)).toEqual([0, 0]);
    expect(Math.abs((gradient.arraySync() as number[][])[0]![1]!)).toBeGreaterThan(0.5);
    const none = maskedCrossEntropy(logits, Int32Array.from([-1, -1]));
    expect(Math.abs(none.dataSync()[0]!)).toBe(0);
    tf.dispose([logits, gradient, none]);
  });

  it('rejects targets of another length', () => {
    const logits = tf.zeros([3, 2]);
    expect(() => maskedCrossEntropy(logits, Int32Array.from([0, 1]))).toThrow(ShapeMismatchError);
    logits.dispose();
  });
});
