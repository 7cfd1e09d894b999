import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@umd/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';

import { poolUnimodal } from './pool-unimodal.js';

describe('poolUnimodal', () => {
  beforeAll(() => useBackend('cpu'));

  it('takes the CLS token, or the mean over the real tokens only', () => {
    // [B 2, N 3, D 2]: CLS first.
    const stream = tf.tensor3d([
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      [
        [7, 8],
        [9, 10],
        [100, 100],
      ],
    ]);
    const mask = tf.tensor2d([
      [1, 1, 1],
      [1, 1, 0],
    ]);
    expect(poolUnimodal(stream, 'cls').arraySync()).toEqual([
      [1, 2],
      [7, 8],
    ]);
    expect(poolUnimodal(stream, 'mean', mask).arraySync()).toEqual([
      [3, 4],
      [8, 9],
    ]);
    const unmasked = poolUnimodal(stream, 'mean').arraySync()[1]!; // no mask: every token
    expect(unmasked[0]).toBeCloseTo(116 / 3, 4);
    expect(unmasked[1]).toBeCloseTo(118 / 3, 4);
    tf.dispose([stream, mask]);
  });
});
