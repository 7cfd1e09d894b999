import { InvalidConfigError } from '@umd/core';
import { describe, expect, it } from 'vitest';

import { imageNormalizations, normalizationTable, normalizeImage } from './normalize-image.js';

describe('normalizeImage', () => {
  it('computes (value / 255 - mean) / std per channel, in HWC order', () => {
    const image = { width: 2, height: 1, channels: 3, data: new Uint8Array([0, 127, 255, 255, 0, 51]) } as const;
    const { data } = normalizeImage(image, imageNormalizations.imagenet);
    const expected = [0, 127, 255, 255, 0, 51].map((value, i) => {
      const c = i % 3;
      return (value / 255 - imageNormalizations.imagenet.mean[c]!) / imageNormalizations.imagenet.std[c]!;
    });
    expect(data).toHaveLength(6);
    data.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 6));
  });

  it('maps grey 0..255 to -1..1 with the grey preset', () => {
    const { data } = normalizeImage({ width: 3, height: 1, channels: 1, data: new Uint8Array([0, 51, 255]) }, imageNormalizations.grey);
    expect(data[0]).toBeCloseTo(-1, 6);
    expect(data[1]).toBeCloseTo(-0.6, 6);
    expect(data[2]).toBeCloseTo(1, 6);
  });

  it('writes into a caller-provided view (a slot of a batch buffer)', () => {
    const batch = new Float32Array(8);
    const table = normalizationTable(imageNormalizations.grey, 1);
    normalizeImage({ width: 2, height: 2, channels: 1, data: new Uint8Array([255, 255, 255, 255]) }, table, batch.subarray(4));
    expect(Array.from(batch)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
  });

  it('rejects a mean/std that does not match the channel count, naming the field', () => {
    expect(() => normalizationTable(imageNormalizations.imagenet, 1)).toThrow(InvalidConfigError);
    expect(() => normalizationTable(imageNormalizations.imagenet, 1)).toThrow(/normalization\.mean.*1 value/);
    expect(() => normalizationTable({ mean: [0.5], std: [0] }, 1)).toThrow(/normalization\.std/);
  });
});
