import { SeededRandom } from '@umd/core';
import { useBackend } from '@umd/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';

import { itmPairing, randomDerangement } from './itm-head.js';

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
});
