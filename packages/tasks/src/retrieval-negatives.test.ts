import { SeededRandom } from '@umd/core';
import { describe, expect, it } from 'vitest';

import { positivePairs, sampleNegatives } from './retrieval-negatives.js';

describe('positivePairs', () => {
  it('matches the diagonal, shared images and identical texts', () => {
    const tokenIds = Int32Array.from([2, 7, 3, 2, 8, 3, 2, 7, 3]); // texts 0 and 2 are identical
    expect([...positivePairs(3, tokenIds, undefined)]).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1]);
    expect([...positivePairs(3, tokenIds, ['a', 'b', 'b'])]).toEqual([1, 0, 1, 0, 1, 1, 1, 1, 1]);
  });
});

describe('sampleNegatives', () => {
  const B = 4;
  const noPositives = Float32Array.from({ length: B * B }, (_, k) => (k % (B + 1) === 0 ? 1 : 0));

  it('never draws a positive, and gives −1 when every candidate matches', () => {
    const random = new SeededRandom(1);
    const positives = Float32Array.from(noPositives);
    positives.fill(1, 0, B); // image 0 matches every text
    for (let trial = 0; trial < 50; trial++) {
      const { textForImage, imageForText } = sampleNegatives(new Float32Array(B * B), positives, B, random, { hard: true, temperature: 0.1 });
      expect(textForImage[0]).toBe(-1);
      for (let i = 1; i < B; i++) expect(positives[i * B + textForImage[i]!]).toBe(0);
      for (let j = 0; j < B; j++) if (imageForText[j]! >= 0) expect(positives[imageForText[j]! * B + j]).toBe(0);
    }
  });

  it('draws hard negatives in proportion to exp(similarity / τ), uniform ones evenly', () => {
    const similarity = new Float32Array(B * B);
    similarity[0 * B + 1] = 0.5; // image 0 is confused with text 1
    const count = (hard: boolean): number => {
      const random = new SeededRandom(2);
      let hits = 0;
      for (let trial = 0; trial < 2000; trial++) {
        if (sampleNegatives(similarity, noPositives, B, random, { hard, temperature: 0.1 }).textForImage[0] === 1) hits++;
      }
      return hits / 2000;
    };
    const expected = Math.exp(5) / (Math.exp(5) + 2); // texts 1, 2, 3 with similarities 0.5, 0, 0
    expect(count(true)).toBeCloseTo(expected, 1);
    expect(count(false)).toBeCloseTo(1 / 3, 1);
  });
});
