import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import { useBackend } from '../testing/index.js';
import { beforeAll, describe, expect, it } from 'vitest';

import { softmaxCrossEntropy } from './softmax-cross-entropy.js';

const maskedCrossEntropy = (logits: tf.Tensor, classes: Int32Array, options?: { smoothing?: number }): tf.Scalar =>
  softmaxCrossEntropy(logits, { classes }, options);

describe('softmaxCrossEntropy', () => {
  beforeAll(() => useBackend('cpu'));

  it('averages −log softmax of the target over the valid samples only', () => {
    const logits = tf.tensor2d([
      [2, 0, 0],
      [0, 5, 0],
      [1, 1, 1],
    ]);
    const loss = maskedCrossEntropy(logits, Int32Array.from([0, -1, 2]));
    const lse = (row: number[]): number => Math.log(row.reduce((sum, x) => sum + Math.exp(x), 0));
    expect(loss.dataSync()[0]).toBeCloseTo((lse([2, 0, 0]) - 2 + (lse([1, 1, 1]) - 1)) / 2, 6);
    tf.dispose([logits, loss]);
  });

  it('gives no gradient to the rows of masked samples, and 0 when none is valid', () => {
    const logits = tf.tensor2d([
      [2, 0],
      [0, 5],
    ]);
    const gradient = tf.grad((x: tf.Tensor) => maskedCrossEntropy(x, Int32Array.from([1, -1])))(logits);
    expect((gradient.arraySync() as number[][])[1]!.map(Math.abs)).toEqual([0, 0]);
    expect(Math.abs((gradient.arraySync() as number[][])[0]![1]!)).toBeGreaterThan(0.5);
    const none = maskedCrossEntropy(logits, Int32Array.from([-1, -1]));
    expect(Math.abs(none.dataSync()[0]!)).toBe(0);
    tf.dispose([logits, gradient, none]);
  });

  it('smooths the targets of the valid samples: (1 − ε)·one-hot + ε/K, checked by hand', () => {
    const logits = tf.tensor2d([
      [2, 0, 0],
      [0, 5, 0],
      [1, 1, 1],
    ]);
    const targets = Int32Array.from([0, -1, 2]);
    // Row 0: log p = [2, 0, 0] − ln(e² + 2); q = [0.9 + 0.1/3, 0.1/3, 0.1/3] → −Σ q·log p = 0.3728781.
    // Row 1 is masked. Row 2: uniform logits, log p = −ln 3 for every class, so any q gives ln 3 = 1.0986123.
    const loss = maskedCrossEntropy(logits, targets, { smoothing: 0.1 });
    expect(loss.dataSync()[0]).toBeCloseTo((0.3728781 + 1.0986123) / 2, 6);
    // The gradient of row 0 is (softmax − q) / count: the target class is pulled up less than without smoothing.
    const gradient = tf.grad((x: tf.Tensor) => maskedCrossEntropy(x, targets, { smoothing: 0.1 }))(logits);
    const rows = gradient.arraySync() as number[][];
    expect(rows[0]![0]).toBeCloseTo(-0.0731736, 6);
    expect(rows[0]![1]).toBeCloseTo(0.0365868, 6);
    expect(rows[1]!.map(Math.abs)).toEqual([0, 0, 0]);
    tf.dispose([logits, loss, gradient]);
  });

  it('equals the one-hot formula, value and gradient, with ε = 0 (class indices and tensors alike)', () => {
    // The one-hot implementation the task heads used before, kept here as the reference.
    const reference = (logits: tf.Tensor, targets: Int32Array): tf.Scalar => {
      const [B, K] = logits.shape as [number, number];
      const valid = Float32Array.from(targets, (target) => (target >= 0 && target < K ? 1 : 0));
      const count = valid.reduce((sum, value) => sum + value, 0);
      return tf.tidy(() => {
        const classes = tf.tensor1d(
          Int32Array.from(targets, (target) => (target >= 0 && target < K ? target : 0)),
          'int32',
        );
        const oneHot = tf.mul(tf.oneHot(classes, K), tf.tensor2d(valid, [B, 1]));
        return tf.div(tf.neg(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)))), Math.max(1, count)) as tf.Scalar;
      });
    };
    const logits = tf.tensor2d([
      [0.3, -1.7, 2.9, 0.01],
      [1.1, 0.2, -0.4, 0.5],
      [-2, 3.3, 0.7, 1.9],
    ]);
    const targets = Int32Array.from([2, -1, 1]);
    for (const options of [undefined, {}, { smoothing: 0 }]) {
      const [value, expected] = [maskedCrossEntropy(logits, targets, options), reference(logits, targets)];
      expect(value.dataSync()[0]).toBeCloseTo(expected.dataSync()[0]!, 6);
      const [gradient, expectedGradient] = [
        tf.grad((x: tf.Tensor) => maskedCrossEntropy(x, targets, options))(logits),
        tf.grad((x: tf.Tensor) => reference(x, targets))(logits),
      ];
      Array.from(gradient.dataSync()).forEach((g, i) => expect(g).toBeCloseTo(expectedGradient.dataSync()[i]!, 6));
      tf.dispose([value, expected, gradient, expectedGradient]);
    }
    logits.dispose();
  });

  it('rejects a smoothing outside [0, 1)', () => {
    const logits = tf.zeros([2, 2]);
    for (const smoothing of [-0.1, 1, Number.NaN]) {
      expect(() => maskedCrossEntropy(logits, Int32Array.from([0, 1]), { smoothing })).toThrow(InvalidConfigError);
    }
    logits.dispose();
  });

  it('rejects targets of another length', () => {
    const logits = tf.zeros([3, 2]);
    expect(() => maskedCrossEntropy(logits, Int32Array.from([0, 1]))).toThrow(ShapeMismatchError);
    logits.dispose();
  });

  it('takes class tensors and target distributions (zero rows not counted), as ITM and InfoNCE use them', () => {
    const logits = tf.tensor2d([
      [2, 0, 0],
      [0, 5, 0],
      [1, 1, 1],
    ]);
    const fromArray = softmaxCrossEntropy(logits, { classes: [0, -1, 2] });
    const classTensor = tf.tensor1d([0, -1, 2], 'int32');
    const fromTensor = softmaxCrossEntropy(logits, { classes: classTensor });
    const distributions = tf.tensor2d([
      [1, 0, 0],
      [0, 0, 0],
      [0, 0, 1],
    ]);
    const fromDistributions = softmaxCrossEntropy(logits, { distributions });
    expect(fromTensor.dataSync()[0]).toBeCloseTo(fromArray.dataSync()[0]!, 6);
    expect(fromDistributions.dataSync()[0]).toBeCloseTo(fromArray.dataSync()[0]!, 6);
    // A soft row: half on class 0, half on class 1 of row 0 alone.
    const soft = softmaxCrossEntropy(tf.slice(logits, [0, 0], [1, 3]), { distributions: tf.tensor2d([[0.5, 0.5, 0]]) });
    const lse = Math.log(Math.exp(2) + 2);
    expect(soft.dataSync()[0]).toBeCloseTo(0.5 * (lse - 2) + 0.5 * lse, 6);
    expect(() => softmaxCrossEntropy(logits, { distributions }, { smoothing: 0.1 })).toThrow(InvalidConfigError);
    expect(() => softmaxCrossEntropy(logits, { distributions: tf.zeros([3, 2]) })).toThrow(ShapeMismatchError);
    tf.dispose([logits, fromArray, classTensor, fromTensor, distributions, fromDistributions, soft]);
  });
});
