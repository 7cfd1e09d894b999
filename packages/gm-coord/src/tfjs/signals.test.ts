import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { expectNoTensorLeak, useCpuBackend } from '../../test/tfjs-setup.js';
import { gradientNormSignals } from './gradient-norm-signals.js';
import { ogmScore, unimodalSignals } from './unimodal-signals.js';

beforeAll(useCpuBackend);

describe('ogmScore', () => {
  it('sums the true-class softmax probability over the batch (hand-computed)', async () => {
    // Row 1: softmax([0, 0]) = [0.5, 0.5]; row 2: softmax([ln 3, 0]) = [0.75, 0.25]. Labels [0, 0] → 0.5 + 0.75.
    const logits = tf.tensor2d([[0, 0], [Math.log(3), 0]]);
    const labels = tf.tensor1d([0, 0], 'int32');
    expect(await ogmScore(logits, labels)).toBeCloseTo(1.25, 6);
    const oneHot = tf.tensor2d([[0, 1], [1, 0]]);
    expect(await ogmScore(logits, oneHot)).toBeCloseTo(0.5 + 0.75, 6);
    await expectNoTensorLeak(() => ogmScore(logits, labels));
    tf.dispose([logits, labels, oneHot]);
  });

  it('rejects labels of the wrong length', async () => {
    const logits = tf.zeros([3, 2]) as tf.Tensor2D;
    const labels = tf.tensor1d([0, 1], 'int32');
    await expect(ogmScore(logits, labels)).rejects.toThrow(/ogmScore\(labels\): expected shape \[3\], got \[2\]/);
    tf.dispose([logits, labels]);
  });
});

describe('unimodalSignals', () => {
  it('returns score and mean cross-entropy per modality in one read-back', async () => {
    const logits = { text: tf.tensor2d([[0, 0], [Math.log(3), 0]]), vision: tf.tensor2d([[10, -10], [-10, 10]]) };
    const labels = tf.tensor1d([0, 0], 'int32');
    const signals = await unimodalSignals(logits, labels);
    expect(signals.text?.score).toBeCloseTo(1.25, 6);
    expect(signals.text?.loss).toBeCloseTo((-Math.log(0.5) - Math.log(0.75)) / 2, 6);
    expect(signals.vision?.score).toBeCloseTo(1, 5); // one sure hit, one sure miss
    expect(signals.vision?.loss).toBeCloseTo(10, 4); // (≈0 + 20) / 2
    await expectNoTensorLeak(() => unimodalSignals(logits, labels));
    tf.dispose([logits, labels]);
  });
});

describe('gradientNormSignals', () => {
  it('returns each group gradient RMS (hand-computed) without leaking', async () => {
    const grads = {
      'text.w': tf.tensor1d([3, 4]), // Σg² = 25
      'text.b': tf.tensor1d([0, 0]), // n = 4 → RMS = √(25 / 4) = 2.5
      'vision.w': tf.tensor1d([1, 1, 1]), // RMS 1
      'head.w': tf.tensor1d([100]), // ignored
    };
    const signals = await gradientNormSignals(grads, { text: 'text.', vision: 'vision.' });
    expect(signals).toEqual({ text: { gradientNorm: 2.5 }, vision: { gradientNorm: 1 } });
    await expectNoTensorLeak(() => gradientNormSignals(grads, { text: 'text.', vision: 'vision.' }));
    tf.dispose(grads);
  });
});
