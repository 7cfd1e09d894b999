import { describe, expect, it } from 'vitest';

import { EvaluationInputError } from '../errors/evaluation-input-error.js';
import { bootstrapInterval } from './bootstrap-interval.js';
import { mulberry32 } from './seeded-random.js';

/** n seeded 0/1 draws with P(1) = p. */
function bernoulli(n: number, p: number, seed: number): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => (random() < p ? 1 : 0));
}

describe('bootstrapInterval', () => {
  it('contains the sample mean, which it reports as the estimate', () => {
    const values = bernoulli(200, 0.6, 1);
    const interval = bootstrapInterval(values, { seed: 3 });
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(interval.estimate).toBeCloseTo(mean, 12);
    expect(interval.low).toBeLessThan(mean);
    expect(interval.high).toBeGreaterThan(mean);
    expect(interval.level).toBe(0.95);
  });

  it('matches the normal-approximation width for a proportion (±1.96·√(p(1−p)/n))', () => {
    const values = bernoulli(400, 0.5, 2);
    const interval = bootstrapInterval(values, { resamples: 4000, seed: 5 });
    const mean = interval.estimate;
    const expectedHalfWidth = 1.96 * Math.sqrt((mean * (1 - mean)) / values.length); // ≈ 0.049
    expect((interval.high - interval.low) / 2).toBeGreaterThan(0.85 * expectedHalfWidth);
    expect((interval.high - interval.low) / 2).toBeLessThan(1.15 * expectedHalfWidth);
  });

  it('narrows as n grows (about 1/√n)', () => {
    const small = bootstrapInterval(bernoulli(50, 0.7, 7), { seed: 1 });
    const large = bootstrapInterval(bernoulli(800, 0.7, 7), { seed: 1 });
    const ratio = (small.high - small.low) / (large.high - large.low);
    expect(ratio).toBeGreaterThan(2.5); // √(800/50) = 4
    expect(ratio).toBeLessThan(6);
  });

  it('is deterministic for a seed and changes with it', () => {
    const values = bernoulli(100, 0.4, 9);
    expect(bootstrapInterval(values, { seed: 11 })).toEqual(bootstrapInterval(values, { seed: 11 }));
    expect(bootstrapInterval(values, { seed: 11 })).not.toEqual(bootstrapInterval(values, { seed: 12 }));
  });

  it('widens with the level', () => {
    const values = bernoulli(100, 0.4, 9);
    const narrow = bootstrapInterval(values, { level: 0.8 });
    const wide = bootstrapInterval(values, { level: 0.99 });
    expect(wide.high - wide.low).toBeGreaterThan(narrow.high - narrow.low);
  });

  it('collapses to the value when n = 1', () => {
    expect(bootstrapInterval([0.7])).toEqual({ estimate: 0.7, low: 0.7, high: 0.7, level: 0.95 });
  });

  it('bootstraps any statistic (here the median)', () => {
    const values = [1, 2, 3, 4, 100];
    const median = (sample: Float64Array): number => {
      const sorted = Float64Array.from(sample).sort();
      return sorted[Math.floor(sorted.length / 2)] as number;
    };
    const interval = bootstrapInterval(values, { statistic: median, seed: 2 });
    expect(interval.estimate).toBe(3);
    expect(interval.high).toBeLessThanOrEqual(100);
    expect(interval.low).toBeGreaterThanOrEqual(1);
  });

  it('rejects empty or non-finite values and bad options, naming them', () => {
    expect(() => bootstrapInterval([])).toThrow(/values\.length/);
    expect(() => bootstrapInterval([1, Number.NaN])).toThrow(/values\[1\]/);
    expect(() => bootstrapInterval([1], { level: 95 })).toThrow(/options\.level/);
    expect(() => bootstrapInterval([1], { resamples: 0 })).toThrow(/options\.resamples/);
    expect(() => bootstrapInterval([1], { statistic: () => Number.NaN })).toThrow(EvaluationInputError);
  });
});
