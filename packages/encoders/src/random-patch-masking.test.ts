import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, SeededRandom } from '@umd/core';
import { useBackend } from '@umd/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';

import { patchMaskingTensors, randomPatchMasking } from './random-patch-masking.js';

describe('randomPatchMasking', () => {
  beforeAll(() => useBackend('cpu'));

  it('keeps exactly round(L·(1 − ratio)) patches in every sample', () => {
    for (const [L, ratio] of [
      [16, 0.75],
      [36, 0.75],
      [49, 0.6],
      [10, 0.33],
    ] as const) {
      const masking = randomPatchMasking(8, L, { ratio, random: new SeededRandom(L) });
      const Lv = Math.round(L * (1 - ratio));
      expect(masking.visibleCount).toBe(Lv);
      expect(masking.visibleIndices).toHaveLength(8 * Lv);
      for (let b = 0; b < 8; b++) {
        const row = masking.mask.subarray(b * L, (b + 1) * L);
        expect(row.reduce((sum, value) => sum + value, 0)).toBe(L - Lv);
        const visible = masking.visibleIndices.subarray(b * Lv, (b + 1) * Lv);
        expect(new Set(visible).size).toBe(Lv);
        for (const patch of visible) expect(row[patch]).toBe(0);
        // restoreIndices inverts the shuffle: the j-th visible patch sits at rank j.
        visible.forEach((patch, j) => expect(masking.restoreIndices[b * L + patch]).toBe(j));
        expect([...masking.restoreIndices.subarray(b * L, (b + 1) * L)].sort((x, y) => x - y)).toEqual(Array.from({ length: L }, (_, i) => i));
      }
    }
  });

  it('is reproducible from the seed and differs between seeds', () => {
    const a = randomPatchMasking(4, 16, { random: new SeededRandom(7) });
    const b = randomPatchMasking(4, 16, { random: new SeededRandom(7) });
    const c = randomPatchMasking(4, 16, { random: new SeededRandom(8) });
    expect(a.visibleIndices).toEqual(b.visibleIndices);
    expect(a.mask).toEqual(b.mask);
    expect(a.visibleIndices).not.toEqual(c.visibleIndices);
  });

  it('keeps the patches with the smallest noise, in ascending-noise order (MAE argsort)', () => {
    const noise = [0.9, 0.1, 0.5, 0.3, 0.2, 0.8, 0.7, 0.6];
    const masking = randomPatchMasking(1, 8, { ratio: 0.5, noise });
    expect([...masking.visibleIndices]).toEqual([1, 4, 3, 2]);
    expect([...masking.mask]).toEqual([1, 0, 0, 0, 0, 1, 1, 1]);
    expect([...masking.restoreIndices]).toEqual([7, 0, 3, 2, 1, 6, 5, 4]);
  });

  it('rejects ratios that keep nothing or everything, and a missing noise source', () => {
    expect(() => randomPatchMasking(1, 4, { ratio: 0.95, random: new SeededRandom(0) })).toThrow(InvalidConfigError);
    expect(() => randomPatchMasking(1, 4, { ratio: 0, random: new SeededRandom(0) })).toThrow(InvalidConfigError);
    expect(() => randomPatchMasking(1, 4, {})).toThrow(InvalidConfigError);
  });

  it('converts to int32/float32 tensors of the documented shapes', () => {
    const masking = randomPatchMasking(2, 16, { random: new SeededRandom(1) });
    const tensors = patchMaskingTensors(masking);
    expect(tensors.visibleIndices.shape).toEqual([2, 4]);
    expect(tensors.visibleIndices.dtype).toBe('int32');
    expect(tensors.mask.shape).toEqual([2, 16]);
    expect(tensors.restoreIndices.dtype).toBe('int32');
    tf.dispose([tensors.visibleIndices, tensors.mask, tensors.restoreIndices]);
  });
});
