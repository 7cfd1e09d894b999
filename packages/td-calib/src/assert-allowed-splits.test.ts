import { InvalidConfigError } from '@umd/core';
import { describe, expect, it } from 'vitest';

import { assertAllowedSplits } from './assert-allowed-splits.js';
import { CalibrationDataError } from './errors/calibration-data-error.js';

const samples = [
  { id: 'a', split: 'train' },
  { id: 'b', split: 'validate' },
  { id: 'c', split: 'test' },
  { id: 'd', split: 'train' },
];

describe('assertAllowedSplits', () => {
  it('accepts training samples only by default and lists every offender', () => {
    expect(() => assertAllowedSplits(samples.filter((sample) => sample.split === 'train'))).not.toThrow();
    const error = (() => {
      try {
        assertAllowedSplits(samples);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(CalibrationDataError);
    expect((error as CalibrationDataError).offenders).toEqual([
      { id: 'b', split: 'validate' },
      { id: 'c', split: 'test' },
    ]);
    expect((error as CalibrationDataError).name).toBe('UMD_CalibrationDataError');
    expect((error as Error).message).toContain("2 of 4 samples come from splits not allowed in calibration (1 'validate', 1 'test'; allowed: 'train')");
  });

  it('names the first 10 offenders and counts the rest', () => {
    const many = Array.from({ length: 13 }, (_, i) => ({ id: `q${i}`, split: 'test' }));
    expect(() => assertAllowedSplits(many)).toThrow(/"q9" \(test\), … and 3 more/);
  });

  it('takes other allowed splits, but never none', () => {
    expect(() => assertAllowedSplits(samples, ['train', 'validate', 'test'])).not.toThrow();
    expect(() => assertAllowedSplits(samples, [])).toThrow(InvalidConfigError);
  });
});
