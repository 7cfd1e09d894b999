import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@umd/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';

import { featureLoss, normalizeFeatures } from './feature-loss.js';

describe('featureLoss', () => {
  beforeAll(() => useBackend('cpu'));

  it('smooth-L1 is quadratic below beta and linear above', () => {
    const pred = tf.tensor2d([[0.5, 3]]);
    const target = tf.tensor2d([[0, 0]]);
    const loss = featureLoss(pred, target, { kind: 'smooth-l1', beta: 1 });
    expect(loss.dataSync()[0]).toBeCloseTo((0.5 * 0.25 + (3 - 0.5)) / 2, 6);
    tf.dispose([pred, target, loss]);
  });

  it('cosine is 0 for parallel and 1 for orthogonal rows', () => {
    const pred = tf.tensor2d([
      [2, 0],
      [0, 1],
    ]);
    const target = tf.tensor2d([
      [1, 0],
      [1, 0],
    ]);
    const loss = featureLoss(pred, target, { kind: 'cosine' });
    expect(loss.dataSync()[0]).toBeCloseTo(0.5, 5);
    tf.dispose([pred, target, loss]);
  });

  it('normalises features to zero mean and unit variance without affine parameters', () => {
    const x = tf.tensor2d([[1, 2, 3, 4]]);
    const y = normalizeFeatures(x);
    const values = [...y.dataSync()];
    expect(values.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 5);
    expect(values.reduce((a, b) => a + b * b, 0) / 4).toBeCloseTo(1, 4);
    tf.dispose([x, y]);
  });
});
