import { describe, expect, it } from 'vitest';

import { pairedComparison } from './paired-comparison.js';
import { mulberry32 } from './seeded-random.js';

/** Paired 0/1 scores with `up` pairs (a 0, b 1), `down` pairs (a 1, b 0) and `same` concordant pairs. */
function pairs(up: number, down: number, same: number): { a: number[]; b: number[] } {
  const a: number[] = [];
  const b: number[] = [];
  const add = (scoreA: number, scoreB: number, count: number): void => {
    for (let i = 0; i < count; i++) {
      a.push(scoreA);
      b.push(scoreB);
    }
  };
  add(0, 1, up);
  add(1, 0, down);
  for (let i = 0; i < same; i++) add(i % 2, i % 2, 1);
  return { a, b };
}

describe('pairedComparison', () => {
  it('detects a clear improvement: positive difference, interval above 0, small p', () => {
    const random = mulberry32(4);
    const a: number[] = Array.from({ length: 300 }, () => (random() < 0.55 ? 1 : 0));
    const b = a.map((score) => (score === 0 && random() < 0.4 ? 1 : score)); // b fixes ~40% of a's errors
    const result = pairedComparison(a, b, { seed: 1 });
    const expected = b.reduce((s, v, i) => s + v - (a[i] as number), 0) / a.length;
    expect(result.difference).toBeCloseTo(expected, 12);
    expect(result.difference).toBeGreaterThan(0.1);
    expect(result.low).toBeGreaterThan(0);
    expect(result.pValue).toBeLessThan(0.001);
    expect(result.n).toBe(300);
  });

  it('finds no difference when gains and losses balance', () => {
    const { a, b } = pairs(20, 20, 100);
    const result = pairedComparison(a, b, { seed: 2 });
    expect(result.difference).toBe(0);
    expect(result.low).toBeLessThan(0);
    expect(result.high).toBeGreaterThan(0);
    expect(result.pValue).toBeGreaterThan(0.9);
  });

  it("agrees with McNemar's exact test on 15 gains vs 5 losses (p = 0.0414)", () => {
    const { a, b } = pairs(15, 5, 80);
    // two-sided exact binomial: 2 · P(X ≤ 5 | 20, ½) = 2 · 21700 / 2^20
    const exact = (2 * 21700) / 2 ** 20;
    const result = pairedComparison(a, b, { resamples: 40_000, seed: 3 });
    expect(result.pValue).toBeGreaterThan(exact - 0.006);
    expect(result.pValue).toBeLessThan(exact + 0.006);
    expect(result.difference).toBeCloseTo(0.1, 12);
  });

  it('gives p = 1 and a zero interval for identical runs', () => {
    const { a } = pairs(0, 0, 50);
    expect(pairedComparison(a, a)).toMatchObject({ difference: 0, low: 0, high: 0, pValue: 1 });
  });

  it('is deterministic for a seed', () => {
    const { a, b } = pairs(9, 4, 30);
    expect(pairedComparison(a, b, { seed: 8, resamples: 500 })).toEqual(pairedComparison(a, b, { seed: 8, resamples: 500 }));
  });

  it('is antisymmetric in its arguments', () => {
    const { a, b } = pairs(12, 3, 40);
    const forward = pairedComparison(a, b);
    const backward = pairedComparison(b, a);
    expect(backward.difference).toBeCloseTo(-forward.difference, 12);
    expect(backward.pValue).toBeCloseTo(forward.pValue, 2);
  });

  it('rejects mismatched lengths, empty input and NaN', () => {
    expect(() => pairedComparison([1, 0], [1])).toThrow(/b\.length/);
    expect(() => pairedComparison([], [])).toThrow(/a\.length/);
    expect(() => pairedComparison([1], [Number.NaN])).toThrow(/b\[0\]/);
    expect(() => pairedComparison([1], [1], { level: 0 })).toThrow(/options\.level/);
  });
});
