import { generatePhantomDataset, type Sample, type VqaSample } from '@umd/data';
import { describe, expect, it } from 'vitest';

import { CalibrationDataError } from './errors/calibration-data-error.js';
import { estimateImageStatistics } from './estimate-image-statistics.js';

const phantom = generatePhantomDataset({ seed: 7, counts: { train: 5, validate: 1, test: 1 }, size: 32, tasks: ['vqa'] }).splits;

/** The mean and population std of every pixel of the given images, on [0, 1], computed directly. */
function direct(images: readonly Uint8Array[]): { mean: number; std: number } {
  const values = images.flatMap((data) => Array.from(data, (value) => value / 255));
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance) };
}

function pixelsOf(sample: Sample): Uint8Array {
  if (sample.image.kind !== 'pixels') throw new Error('phantom images are in memory');
  return sample.image.data;
}

/** One sample per distinct image. */
function distinct(samples: readonly VqaSample[]): VqaSample[] {
  return [...new Map(samples.map((sample) => [sample.imageId, sample])).values()];
}

describe('estimateImageStatistics', () => {
  it('matches a direct computation over the distinct training images (each image once)', async () => {
    const images = distinct(phantom.train);
    expect(images).toHaveLength(5);
    expect(phantom.train.length).toBeGreaterThan(images.length); // several questions per image
    const statistics = await estimateImageStatistics(phantom.train, { size: 32, channels: 1 });
    const expected = direct(images.map(pixelsOf));
    expect(statistics.images).toBe(5);
    expect(statistics.mean[0]).toBeCloseTo(expected.mean, 10);
    expect(statistics.std[0]).toBeCloseTo(expected.std, 10);
    // Weighting images by their number of questions would give another answer.
    const perQuestion = direct(phantom.train.map(pixelsOf));
    expect(Math.abs(perQuestion.mean - expected.mean)).toBeGreaterThan(1e-6);
  });

  it('replicates grey images into 3 equal RGB channels', async () => {
    const statistics = await estimateImageStatistics(phantom.train, { size: 32, channels: 3 });
    const expected = direct(distinct(phantom.train).map(pixelsOf));
    for (let c = 0; c < 3; c++) {
      expect(statistics.mean[c]).toBeCloseTo(expected.mean, 10);
      expect(statistics.std[c]).toBeCloseTo(expected.std, 10);
    }
  });

  it('measures after the resize (a 16 px version of the same images has nearly the same mean)', async () => {
    const full = await estimateImageStatistics(phantom.train, { size: 32, channels: 1 });
    const small = await estimateImageStatistics(phantom.train, { size: 16, channels: 1 });
    expect(small.mean[0]).not.toBe(full.mean[0]);
    expect(Math.abs(small.mean[0]! - full.mean[0]!)).toBeLessThan(0.02);
    expect(small.std[0]!).toBeLessThan(full.std[0]!); // downsampling smooths
  });

  it('caps the number of images with a seeded choice', async () => {
    const images = distinct(phantom.train).map(pixelsOf);
    const capped = await estimateImageStatistics(phantom.train, { size: 32, channels: 1, maxImages: 3, seed: 1 });
    expect(capped.images).toBe(3);
    expect(await estimateImageStatistics(phantom.train, { size: 32, channels: 1, maxImages: 3, seed: 1 })).toEqual(capped);
    // The statistics are those of one 3-image subset.
    const subsets: number[][] = [];
    for (let a = 0; a < 5; a++) for (let b = a + 1; b < 5; b++) for (let c = b + 1; c < 5; c++) subsets.push([a, b, c]);
    const matching = subsets.filter((subset) => Math.abs(direct(subset.map((i) => images[i]!)).mean - capped.mean[0]!) < 1e-10);
    expect(matching).toHaveLength(1);
    // Other seeds choose other subsets.
    const means = new Set<number>();
    for (let seed = 0; seed < 6; seed++) means.add((await estimateImageStatistics(phantom.train, { size: 32, channels: 1, maxImages: 3, seed })).mean[0]!);
    expect(means.size).toBeGreaterThan(1);
  });

  it('rejects validation and test samples before reading any image', async () => {
    const mixed = [...phantom.train, ...phantom.validate, ...phantom.test];
    const error = await estimateImageStatistics(mixed, { size: 32, channels: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CalibrationDataError);
    const offenders = (error as CalibrationDataError).offenders;
    expect(offenders).toHaveLength(phantom.validate.length + phantom.test.length);
    expect(new Set(offenders.map((offender) => offender.split))).toEqual(new Set(['validate', 'test']));
    expect((error as Error).message).toContain(phantom.validate[0]!.id);
    // Explicitly allowed, the same samples are measured.
    const allowed = await estimateImageStatistics(mixed, { size: 32, channels: 1, allowedSplits: ['train', 'validate', 'test'] });
    expect(allowed.images).toBe(7);
  });
});
