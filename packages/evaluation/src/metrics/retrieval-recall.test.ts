import { describe, expect, it } from 'vitest';

import { EvaluationInputError } from '../errors/evaluation-input-error.js';
import { retrievalRanks, retrievalRecall } from './retrieval-recall.js';

describe('retrievalRanks / retrievalRecall', () => {
  it('ranks by hand on a 3×3 score matrix (image i ↔ text i)', () => {
    // rows: images, columns: texts
    const scores = [
      0.9,
      0.1,
      0.2, // image 0: text 0 best → rank 1
      0.8,
      0.3,
      0.5, // image 1: text 1 (0.3) below 0.8 and 0.5 → rank 3
      0.1,
      0.7,
      0.6, // image 2: text 2 (0.6) below 0.7 → rank 2
    ];
    const ranks = retrievalRanks(scores, 3, 3);
    expect(ranks.imageToText).toEqual([1, 3, 2]);
    // text 0: column [0.9, 0.8, 0.1], image 0 best → 1; text 1: [0.1, 0.3, 0.7], image 1 below 0.7 → 2;
    // text 2: [0.2, 0.5, 0.6], image 2 best → 1
    expect(ranks.textToImage).toEqual([1, 2, 1]);
    const recall = retrievalRecall(scores, 3, 3);
    expect(recall.imageToText).toEqual({ r1: 1 / 3, r5: 1, r10: 1 });
    expect(recall.textToImage).toEqual({ r1: 2 / 3, r5: 1, r10: 1 });
    expect(recall.meanRecall).toBeCloseTo((1 / 3 + 1 + 1 + 2 / 3 + 1 + 1) / 6, 12);
    expect(recall.queries).toEqual({ imageToText: 3, textToImage: 3 });
  });

  it('counts a tie against the query: constant scores rank last, not first', () => {
    const n = 12;
    const ranks = retrievalRanks(new Float32Array(n * n).fill(0.5), n, n);
    expect(ranks.imageToText.every((rank) => rank === n)).toBe(true);
    expect(ranks.textToImage.every((rank) => rank === n)).toBe(true);
    const recall = retrievalRecall(new Float32Array(n * n).fill(0.5), n, n);
    expect(recall.imageToText.r10).toBe(0);
    expect(recall.meanRecall).toBe(0);
    // One tie with a wrong candidate: rank 2.
    expect(retrievalRanks([1, 1, 0, 1], 2, 2).imageToText[0]).toBe(2);
  });

  it('computes R@5 and R@10 on a larger identity-like matrix', () => {
    // 20 × 20: text t's true image has score 1; image i has (i mod 12) wrong texts scored above its true text.
    const n = 20;
    const scores = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      scores[i * n + i] = 1;
      for (let k = 1; k <= i % 12; k++) scores[i * n + ((i + k) % n)] = 2; // wrong texts above the true one
    }
    const ranks = retrievalRanks(scores, n, n);
    expect(ranks.imageToText).toEqual(Array.from({ length: n }, (_, i) => 1 + (i % 12)));
    const recall = retrievalRecall(scores, n, n);
    const expected = (k: number): number => ranks.imageToText.filter((rank) => rank <= k).length / n;
    expect(recall.imageToText.r1).toBe(2 / 20); // i = 0, 12
    expect(recall.imageToText.r5).toBe(expected(5));
    expect(recall.imageToText.r5).toBe(10 / 20); // i mod 12 ≤ 4: i = 0-4, 12-16
    expect(recall.imageToText.r10).toBe(18 / 20); // i mod 12 ≤ 9: i = 0-9, 12-19
  });

  it('maps several captions to one image with textImage', () => {
    // 2 images, 4 texts; texts 0, 1 → image 0, texts 2, 3 → image 1.
    const scores = [
      0.2,
      0.9,
      0.5,
      0.1, // image 0: best matching text 1 (0.9) beats 0.5 → rank 1 (text 0 at 0.2 does not count)
      0.8,
      0.1,
      0.3,
      0.7, // image 1: best matching text 3 (0.7) below text 0 (0.8) → rank 2
    ];
    const textImage = [0, 0, 1, 1];
    const ranks = retrievalRanks(scores, 2, 4, { textImage });
    expect(ranks.imageToText).toEqual([1, 2]);
    // text 0: [0.2, 0.8] image 0 → 2; text 1: [0.9, 0.1] → 1; text 2: [0.5, 0.3] image 1 → 2; text 3: [0.1, 0.7] → 1
    expect(ranks.textToImage).toEqual([2, 1, 2, 1]);
    const recall = retrievalRecall(scores, 2, 4, { textImage });
    expect(recall.imageToText.r1).toBe(0.5);
    expect(recall.textToImage.r1).toBe(0.5);
  });

  it('leaves out images no text describes', () => {
    const ranks = retrievalRanks([0.9, 0.1, 0.5, 0.5], 2, 2, { textImage: [0, 0] });
    expect(ranks.imageToText[0]).toBe(1);
    expect(ranks.imageToText[1]).toBeNaN();
    expect(retrievalRecall([0.9, 0.1, 0.5, 0.5], 2, 2, { textImage: [0, 0] }).queries.imageToText).toBe(1);
  });

  it('rejects wrong sizes, NaN scores, a missing textImage and bad image indices', () => {
    expect(() => retrievalRecall([1, 2, 3], 2, 2)).toThrow(/scores\.length: expected 4/);
    expect(() => retrievalRecall([1, Number.NaN, 0, 1], 2, 2)).toThrow(/scores\[1\]/);
    expect(() => retrievalRecall([1, 2], 1, 2)).toThrow(/textImage/);
    expect(() => retrievalRecall([1, 2, 3, 4], 2, 2, { textImage: [0, 2] })).toThrow(/options\.textImage\[1\]/);
    expect(() => retrievalRecall([1, 2, 3, 4], 2, 2, { textImage: [0] })).toThrow(EvaluationInputError);
    expect(() => retrievalRecall([], 0, 0)).toThrow(/nImages/);
  });

  it('accepts -Infinity scores (masked candidates)', () => {
    expect(retrievalRanks([1, Number.NEGATIVE_INFINITY, 0, 1], 2, 2).imageToText).toEqual([1, 1]);
  });
});
