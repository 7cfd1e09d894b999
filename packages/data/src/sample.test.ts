import { describe, expect, it } from 'vitest';

import { normalizeAnswer } from './sample.js';

describe('normalizeAnswer', () => {
  it('folds case, trims and collapses whitespace, and turns numbers into strings', () => {
    expect(normalizeAnswer('Yes ')).toBe('yes');
    expect(normalizeAnswer(' Left  lung\n')).toBe('left lung');
    expect(normalizeAnswer(3)).toBe('3');
    expect(normalizeAnswer(2.5)).toBe('2.5');
    expect(normalizeAnswer(null)).toBe('');
  });
});
