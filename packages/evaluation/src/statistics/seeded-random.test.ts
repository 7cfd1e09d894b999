import { describe, expect, it } from 'vitest';

import { sortedQuantile } from './quantile.js';
import { mulberry32 } from './seeded-random.js';

describe('mulberry32', () => {
  it('repeats for a seed, differs between seeds, and stays in [0, 1) with a uniform mean', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const first = Array.from({ length: 5 }, () => a());
    expect(first).toEqual(Array.from({ length: 5 }, () => b()));
    expect(first).not.toEqual(Array.from({ length: 5 }, () => c()));
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < 20_000; i++) {
      const value = a();
      if (!(value >= 0 && value < 1)) outside += 1;
      sum += value;
    }
    expect(outside).toBe(0);
    expect(sum / 20_000).toBeCloseTo(0.5, 2);
  });
});

describe('sortedQuantile', () => {
  it('interpolates linearly between order statistics (type 7)', () => {
    const sorted = [1, 2, 3, 4];
    expect(sortedQuantile(sorted, 0)).toBe(1);
    expect(sortedQuantile(sorted, 1)).toBe(4);
    expect(sortedQuantile(sorted, 0.5)).toBe(2.5);
    expect(sortedQuantile(sorted, 0.25)).toBeCloseTo(1.75, 12);
    expect(sortedQuantile([], 0.5)).toBeNaN();
  });
});
