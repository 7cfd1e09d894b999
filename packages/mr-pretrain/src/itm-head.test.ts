import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@umd/core';
import { useBackend } from '@umd/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';

import { itmLoss, itmPairing, randomDerangement } from './itm-head.js';

describe('itmPairing', () => {
  beforeAll(() => useBackend('cpu'));

  it('gives half the samples another sample’s image, reproducibly', () => {
    for (const B of [2, 3, 8, 9]) {
      const pairing = itmPairing(B, new SeededRandom(B));
      const mismatched = [...pairing.labels].filter((label) => label === 0).length;
      expect(mismatched).toBe(Math.round(B / 2));
      pairing.labels.forEach((label, i) => expect(pairing.imageSource[i] === i).toBe(label === 1));
      expect(itmPairing(B, new SeededRandom(B))).toEqual(pairing);
    }
  });

  it('draws derangements (no fixed point)', () => {
    const random = new SeededRandom(5);
    for (let k = 0; k < 100; k++) randomDerangement(5, random).forEach((value, index) => expect(value).not.toBe(index));
  });

  it('binary cross-entropy matches the formula', () => {
    const logits = tf.tensor2d([[0, 1], [2, 0]]);
    const labels = tf.tensor1d([1, 1], 'int32');
    const loss = itmLoss(logits, labels);
    const expected = (Math.log(1 + Math.exp(-1)) + Math.log(1 + Math.exp(2))) / 2;
    expect(loss.dataSync()[0]).toBeCloseTo(expected, 5);
    tf.dispose([logits, labels, loss]);
  });
});
