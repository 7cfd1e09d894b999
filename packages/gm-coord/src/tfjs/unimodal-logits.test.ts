import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { expectNoTensorLeak, useCpuBackend, values } from '../../test/tfjs-setup.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { shapleyLogits } from './shapley-logits.js';
import { unimodalLogits } from './unimodal-logits.js';

beforeAll(useCpuBackend);

// pooled = [text (2 columns) ; vision (1 column)], linear head W [3, 2] (D × K), b [2].
const W = () =>
  tf.tensor2d([
    [1, 0],
    [0, 2],
    [3, -1],
  ]);
const b = () => tf.tensor1d([0.5, -0.5]);
const segments = [
  { modality: 'text', width: 2 },
  { modality: 'vision', width: 1 },
];

describe('unimodalLogits', () => {
  it('applies the head with the other modality zeroed (hand-computed, linear head)', async () => {
    const [weight, bias] = [W(), b()];
    const head = (x: tf.Tensor2D): tf.Tensor2D => tf.add(tf.matMul(x, weight), bias);
    const pooled = tf.tensor2d([[1, 2, 3]]);
    const logits = unimodalLogits(head, pooled, segments);
    // text: [1, 2, 0] · W + b = [1, 4] + b = [1.5, 3.5]; vision: [0, 0, 3] · W + b = [9, −3] + b = [9.5, −3.5]
    expect(await values(logits.text as tf.Tensor)).toEqual([1.5, 3.5]);
    expect(await values(logits.vision as tf.Tensor)).toEqual([9.5, -3.5]);
    tf.dispose([logits, weight, bias, pooled]);
  });

  it('leaks no tensor (the head intermediates are tidied)', async () => {
    const [weight, bias, pooled] = [W(), b(), tf.randomNormal([4, 3]) as tf.Tensor2D];
    const head = (x: tf.Tensor2D): tf.Tensor2D => tf.relu(tf.add(tf.matMul(x, weight), bias)) as tf.Tensor2D;
    await expectNoTensorLeak(() => unimodalLogits(head, pooled, segments));
    tf.dispose([weight, bias, pooled]);
  });

  it('rejects a pooled width that does not match the segments', () => {
    const pooled = tf.zeros([2, 4]) as tf.Tensor2D;
    expect(() => unimodalLogits((x) => x, pooled, segments)).toThrow(ShapeMismatchError);
    expect(() => unimodalLogits((x) => x, pooled, segments)).toThrow(/expected shape \[B, 3\], got \[2, 4\].*text: 2, vision: 1/);
    pooled.dispose();
  });
});

describe('shapleyLogits', () => {
  it('splits a linear head exactly into W_m · z_m per modality', async () => {
    const [weight, bias] = [W(), b()];
    const head = (x: tf.Tensor2D): tf.Tensor2D => tf.add(tf.matMul(x, weight), bias);
    const pooled = tf.tensor2d([
      [1, 2, 3],
      [0, -1, 1],
    ]);
    const shares = shapleyLogits(head, pooled, segments);
    expect(await values(shares.text as tf.Tensor)).toEqual([1, 4, 0, -2]);
    expect(await values(shares.vision as tf.Tensor)).toEqual([9, -3, 3, -1]);
    tf.dispose([shares, weight, bias, pooled]);
  });

  it('sums to f(all) − f(none) for a non-linear head and three modalities, without leaking', async () => {
    const weight = tf.randomNormal([4, 3], 0, 1, 'float32', 1) as tf.Tensor2D;
    const head = (x: tf.Tensor2D): tf.Tensor2D => tf.tanh(tf.matMul(tf.relu(x), weight)) as tf.Tensor2D;
    const pooled = tf.randomNormal([5, 4], 0, 1, 'float32', 2) as tf.Tensor2D;
    const three = [
      { modality: 'a', width: 1 },
      { modality: 'b', width: 2 },
      { modality: 'c', width: 1 },
    ];
    const shares = shapleyLogits(head, pooled, three);
    const total = tf.addN(Object.values(shares));
    const expected = tf.sub(head(pooled), head(tf.zerosLike(pooled)));
    const [got, want] = [await values(total), await values(expected)];
    got.forEach((value, i) => expect(value).toBeCloseTo(want[i] ?? Number.NaN, 5));
    tf.dispose([shares, total, expected]);
    await expectNoTensorLeak(() => shapleyLogits(head, pooled, three));
    tf.dispose([weight, pooled]);
  });
});
