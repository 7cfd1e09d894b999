import { describe, expect, it } from 'vitest';

import { meanInterval } from '../statistics/mean-interval.js';
import { formatInterval } from './format-interval.js';

describe('formatInterval', () => {
  it('writes a symmetric interval as estimate ± half-width', () => {
    expect(formatInterval({ estimate: 62.31, low: 60.5, high: 64.12, level: 0.95 }, 1)).toBe('62.3 ± 1.8');
    expect(formatInterval(meanInterval([1, 2, 3]), 2)).toBe('2.00 ± 2.48');
  });

  it('scales fractions to percentages', () => {
    expect(formatInterval(meanInterval([0.6, 0.62, 0.64]), 1, { scale: 100 })).toBe('62.0 ± 5.0');
  });

  it('writes an asymmetric interval as estimate [low, high]', () => {
    expect(formatInterval({ estimate: 0.5, low: 0.3, high: 0.9, level: 0.95 }, 2)).toBe('0.50 [0.30, 0.90]');
    expect(formatInterval({ estimate: 0.5, low: 0.3, high: 0.9, level: 0.95 }, 2, { style: 'plus-minus' })).toBe('0.50 ± 0.30');
    expect(formatInterval({ estimate: 0.5, low: 0.4, high: 0.6, level: 0.95 }, 1, { style: 'bracket' })).toBe('0.5 [0.4, 0.6]');
  });

  it('marks a single run instead of printing ± 0', () => {
    expect(formatInterval(meanInterval([0.623]), 1, { scale: 100 })).toBe('62.3 (n = 1)');
  });

  it('prints NaN as a dash and rejects bad digits', () => {
    expect(formatInterval({ estimate: Number.NaN, low: Number.NaN, high: Number.NaN, level: 0.95 }, 1)).toBe('– [–, –]');
    expect(() => formatInterval({ estimate: 1, low: 1, high: 1, level: 0.95 }, -1)).toThrow(/digits/);
  });
});
