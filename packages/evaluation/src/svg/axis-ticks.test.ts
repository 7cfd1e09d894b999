import { describe, expect, it } from 'vitest';

import { formatTick, linearAxis, logAxis } from './axis-ticks.js';

describe('axis ticks', () => {
  it('extends a y domain to nice ticks', () => {
    expect(linearAxis(0.03, 0.97, 5, true)).toMatchObject({ min: 0, max: 1, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
    expect(linearAxis(2.1, 12.9, 5, true).ticks).toEqual([0, 2.5, 5, 7.5, 10, 12.5, 15]); // step 10.8 / 5 → 2.5
    expect(linearAxis(6.2, 13.1, 5, true).ticks).toEqual([6, 8, 10, 12, 14]); // step 6.9 / 5 → 2
  });

  it('keeps an x domain and puts ticks inside', () => {
    const axis = linearAxis(1, 2304, 6, false);
    expect(axis.min).toBe(1);
    expect(axis.max).toBe(2304);
    expect(axis.ticks).toEqual([500, 1000, 1500, 2000]);
  });

  it('widens a zero-width range', () => {
    const axis = linearAxis(3, 3, 5, true);
    expect(axis.min).toBeLessThan(3);
    expect(axis.max).toBeGreaterThan(3);
  });

  it('puts log ticks on decades, with 2× and 5× on short ranges', () => {
    expect(logAxis(0.001, 1000).ticks).toEqual([0.001, 0.01, 0.1, 1, 10, 100, 1000]);
    expect(logAxis(1, 50).ticks).toEqual([1, 2, 5, 10, 20, 50]);
  });

  it('formats ticks with the decimals of the step and exponents for extremes', () => {
    expect(formatTick(0.30000000000000004, 0.1)).toBe('0.3');
    expect(formatTick(2.5, 0.5)).toBe('2.5');
    expect(formatTick(2000, 500)).toBe('2000');
    expect(formatTick(0.00002, 0.00001)).toBe('2e-5');
    expect(formatTick(3_000_000, 1_000_000)).toBe('3e6');
  });
});
