import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { expectNoTensorLeak, useCpuBackend } from '../../test/tfjs-setup.js';
import { gradientNormSignals } from './gradient-norm-signals.js';
import { readSignals, signalTensor } from './signal-tensor.js';
import { ogmScore, unimodalSignals } from './unimodal-signals.js';

beforeAll(useCpuBackend);

describe('ogmScore', () => {
  it('sums the true-class softmax probability over the batch (hand-computed)', async () => {
    // Row 1: softmax([0, 0]) = [0.5, 0.5]; row 2: softmax([ln 3, 0]) = [0.75, 0.25]. Labels [0, 0] → 0.5 + 0.75.
    const logits = tf.tensor2d([
      [0, 0],
      [Math.log(3), 0],
    ]);
    const labels = tf.tensor1d([0, 0], 'int32');
    expect(await ogmScore(logits, labels)).toBeCloseTo(1.25, 6);
    const oneHot = tf.tensor2d([
      [0, 1],
      [1, 0],
    ]);
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
    const logits = {
      text: tf.tensor2d([
        [0, 0],
        [Math.log(3), 0],
      ]),
      vision: tf.tensor2d([
        [10, -10],
        [-10, 10],
      ]),
    };
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

describe('signalTensor (one tensor, no read-back)', () => {
  it('packs score, loss and gradient RMS per modality; labels of −1 count nowhere', async () => {
    // Text row 1: softmax([0, 0]) → p(y=0) = 0.5; row 2 is −1 (not counted); row 3: softmax([ln 3, 0]) → 0.75.
    const text = tf.tensor2d([
      [0, 0],
      [5, -5],
      [Math.log(3), 0],
    ]);
    const vision = tf.tensor2d([
      [1, 0],
      [0, 0],
      [0, 2],
    ]);
    const labels = tf.tensor1d([0, -1, 0], 'int32');
    const gradients = {
      'text.w': tf.tensor1d([3, 4]),
      'vision.w': tf.tensor2d([
        [1, 1],
        [1, 1],
      ]),
      'head.w': tf.tensor1d([100]),
    };
    const groups = { text: 'text.', vision: 'vision.' };
    const packed = signalTensor({ text, vision }, labels, { gradients, groups });
    const signals = readSignals(await packed.data(), ['text', 'vision'], true);
    packed.dispose();
    expect(signals['text']!.score).toBeCloseTo(0.5 + 0.75, 5);
    expect(signals['text']!.loss).toBeCloseTo((Math.log(2) + Math.log(4 / 3)) / 2, 5); // mean over the 2 counted rows
    expect(signals['text']!.gradientNorm).toBeCloseTo(5 / Math.sqrt(2), 5);
    expect(signals['vision']!.gradientNorm).toBeCloseTo(1, 5);
    // The same numbers as the one-call helpers on the counted rows.
    const counted = tf.tensor1d([0, 2], 'int32');
    const [textKept, visionKept, labelsKept] = [tf.gather(text, counted), tf.gather(vision, counted), tf.tensor1d([0, 0], 'int32')];
    const plain = await unimodalSignals({ text: textKept as tf.Tensor2D, vision: visionKept as tf.Tensor2D }, labelsKept);
    expect(signals['vision']!.loss).toBeCloseTo(plain['vision']!.loss, 5);
    expect(signals['vision']!.score).toBeCloseTo(plain['vision']!.score, 5);
    expect((await gradientNormSignals(gradients, groups))['text']!.gradientNorm).toBeCloseTo(signals['text']!.gradientNorm!, 5);
    await expectNoTensorLeak(async () => signalTensor({ text, vision }, labels, { gradients, groups }).dispose());
    expect(() => readSignals([1, 2, 3], ['text', 'vision'], false)).toThrow(/readSignals/);
    tf.dispose([text, vision, labels, counted, textKept, visionKept, labelsKept, ...Object.values(gradients)]);
  });
});
