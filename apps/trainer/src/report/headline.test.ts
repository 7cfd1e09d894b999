import { describe, expect, it } from 'vitest';

import { floorFailure, type HeadlineRow } from './headline.js';

const row = (split: string, value: number, low?: number, high?: number): HeadlineRow => ({
  split,
  metric: 'overall',
  value,
  ...(low === undefined ? {} : { low }),
  ...(high === undefined ? {} : { high }),
  floorName: 'question-only majority',
  floor: 0.423,
});

describe('floorFailure', () => {
  it('passes only when the whole 95% interval of the test split lies above the floor', () => {
    expect(floorFailure([row('validate', 0.3, 0.25, 0.35), row('test', 0.538, 0.484, 0.59)])).toBeUndefined();
    // The estimate beats the floor, the interval does not (the run the issue reported).
    expect(floorFailure([row('validate', 0.6, 0.55, 0.65), row('test', 0.429, 0.38, 0.481)])).toBe(
      'question-only majority on test (42.9%, 95% CI 38.0–48.1; floor 42.3%)',
    );
  });

  it('falls back to the estimate without an interval, and to the last split without a test split', () => {
    expect(floorFailure([row('validate', 0.5)])).toBeUndefined();
    expect(floorFailure([row('validate', 0.4)])).toBe('question-only majority on validate (40.0%; floor 42.3%)');
    expect(floorFailure([])).toBeUndefined();
  });
});
