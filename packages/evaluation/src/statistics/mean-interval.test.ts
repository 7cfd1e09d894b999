import { describe, expect, it } from 'vitest';

import { meanInterval } from './mean-interval.js';
import { studentTCdf, studentTQuantile } from './student-t.js';

describe('studentTQuantile', () => {
  it('matches tabulated t quantiles', () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062, 3);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.302653, 5);
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.776445, 5);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228139, 5);
    expect(studentTQuantile(0.95, 5)).toBeCloseTo(2.015048, 5);
    expect(studentTQuantile(0.995, 30)).toBeCloseTo(2.749996, 5);
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.959966, 4);
    expect(studentTQuantile(0.025, 2)).toBeCloseTo(-4.302653, 5);
  });

  it('inverts the CDF', () => {
    for (const df of [1, 3, 17]) expect(studentTCdf(studentTQuantile(0.9, df), df)).toBeCloseTo(0.9, 10);
    expect(studentTCdf(0, 5)).toBeCloseTo(0.5, 12);
  });
});

describe('meanInterval', () => {
  it('gives half-width 2.484 for [1, 2, 3] at 95%', () => {
    const interval = meanInterval([1, 2, 3]);
    expect(interval.estimate).toBe(2);
    expect(interval.n).toBe(3);
    expect(interval.standardDeviation).toBeCloseTo(1, 12);
    expect(interval.halfWidth).toBeCloseTo(2.484, 3);
    expect(interval.low).toBeCloseTo(2 - 2.484, 3);
    expect(interval.high).toBeCloseTo(2 + 2.484, 3);
    expect(interval.singleValue).toBe(false);
  });

  it('uses the requested level', () => {
    // 5 values with s = √2.5: half-width at 90% = t(0.95, 4) · s / √5 = 2.131847 · 0.707107
    const interval = meanInterval([1, 2, 3, 4, 5], 0.9);
    expect(interval.halfWidth).toBeCloseTo(2.131847 * Math.sqrt(2.5 / 5), 5);
    expect(interval.level).toBe(0.9);
  });

  it('flags n = 1 and collapses the interval to the value', () => {
    const interval = meanInterval([0.62]);
    expect(interval).toMatchObject({ estimate: 0.62, low: 0.62, high: 0.62, n: 1, halfWidth: 0, singleValue: true });
    expect(interval.standardDeviation).toBeNaN();
  });

  it('has zero width for identical values', () => {
    expect(meanInterval([0.5, 0.5, 0.5]).halfWidth).toBe(0);
  });

  it('rejects empty input, NaN and a bad level', () => {
    expect(() => meanInterval([])).toThrow(/values\.length/);
    expect(() => meanInterval([1, Number.NaN])).toThrow(/values\[1\]/);
    expect(() => meanInterval([1, 2], 1.5)).toThrow(/level/);
  });
});
