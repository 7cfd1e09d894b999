import { describe, expect, it } from 'vitest';

import { mostFrequent } from './most-frequent.js';

describe('mostFrequent', () => {
  it('picks the majority, breaking ties alphabetically whatever the order', () => {
    expect(mostFrequent(['no', 'yes', 'yes'])).toBe('yes');
    expect(mostFrequent(['yes', 'no'])).toBe('no');
    expect(mostFrequent(['no', 'yes'])).toBe('no');
    expect(mostFrequent([])).toBe('');
  });
});
