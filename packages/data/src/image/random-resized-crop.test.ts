import { SeededRandom } from '@umd/core';
import { describe, expect, it } from 'vitest';

import { centreCrop } from './centre-crop.js';
import { randomResizedCrop, resizeRegionBilinear, sampleCropBox } from './random-resized-crop.js';
import type { RawImage } from './raw-image.js';

/** 8 × 4 grey ramp: value = 10 * x + y. */
const ramp: RawImage = {
  width: 8,
  height: 4,
  channels: 1,
  data: Uint8Array.from({ length: 32 }, (_, i) => 10 * (i % 8) + Math.floor(i / 8)),
};

describe('centreCrop', () => {
  it('cuts the central region', () => {
    const crop = centreCrop(ramp, 4, 2);
    expect(Array.from(crop.data)).toEqual([21, 31, 41, 51, 22, 32, 42, 52]);
  });

  it('refuses a crop larger than the image', () => {
    expect(() => centreCrop(ramp, 5)).toThrow(/resize first/);
  });
});

describe('randomResizedCrop', () => {
  it('is deterministic for a seed and varies across seeds', () => {
    const image: RawImage = { width: 64, height: 48, channels: 3, data: Uint8Array.from({ length: 64 * 48 * 3 }, (_, i) => (i * 31) % 256) };
    const a = randomResizedCrop(image, { size: 16, random: new SeededRandom(1) });
    const b = randomResizedCrop(image, { size: 16, random: new SeededRandom(1) });
    const c = randomResizedCrop(image, { size: 16, random: new SeededRandom(2) });
    expect([a.width, a.height, a.channels]).toEqual([16, 16, 3]);
    expect(a.data).toEqual(b.data);
    expect(a.data).not.toEqual(c.data);
  });

  it('samples boxes inside the image with area and ratio in range', () => {
    const random = new SeededRandom(7);
    for (let i = 0; i < 200; i++) {
      const box = sampleCropBox(100, 80, { random, scale: [0.5, 1], ratio: [3 / 4, 4 / 3] });
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.top).toBeGreaterThanOrEqual(0);
      expect(box.left + box.width).toBeLessThanOrEqual(100);
      expect(box.top + box.height).toBeLessThanOrEqual(80);
      expect((box.width * box.height) / 8000).toBeGreaterThan(0.45);
    }
  });

  it('accepts a plain () => number', () => {
    const crop = randomResizedCrop(ramp, { size: 2, random: () => 0.5 });
    expect(crop.data).toHaveLength(4);
  });

  it('bilinear resize of the whole image to its own size is the identity', () => {
    const same = resizeRegionBilinear(ramp, { left: 0, top: 0, width: 8, height: 4 }, 4);
    expect(same.width).toBe(4);
    const identity = resizeRegionBilinear({ ...ramp, width: 4, height: 4, data: ramp.data.subarray(0, 16) }, { left: 0, top: 0, width: 4, height: 4 }, 4);
    expect(Array.from(identity.data)).toEqual(Array.from(ramp.data.subarray(0, 16)));
  });
});
