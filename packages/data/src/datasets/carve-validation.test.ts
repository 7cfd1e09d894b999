import { InvalidConfigError } from '@umd/core';
import { describe, expect, it } from 'vitest';

import { generatePhantomDataset } from '../phantom/generate-phantom-dataset.js';
import { carveValidation } from './carve-validation.js';

describe('carveValidation', () => {
  const samples = generatePhantomDataset({ seed: 1, counts: { train: 40, validate: 0, test: 0 }, size: 32, tasks: ['vqa'] }).splits.train;
  const imagesOf = (list: readonly { imageId: string }[]): Set<string> => new Set(list.map((sample) => sample.imageId));

  it('moves a seeded share of the images, with all their samples, to validation', () => {
    const { train, validation } = carveValidation(samples, { fraction: 0.25, seed: 7, by: 'image' });
    expect(train.length + validation.length).toBe(samples.length);
    expect(imagesOf(validation).size).toBe(10); // 25% of 40 images
    for (const imageId of imagesOf(validation)) expect(imagesOf(train).has(imageId)).toBe(false);
    expect(samples.filter((sample) => imagesOf(validation).has(sample.imageId)).map((sample) => sample.id)).toEqual(validation.map((sample) => sample.id));
    expect(validation.every((sample) => sample.split === 'validate')).toBe(true);
    expect(train.every((sample) => sample.split === 'train' && samples.includes(sample))).toBe(true);
    expect(samples.every((sample) => sample.split === 'train')).toBe(true); // the input is not modified
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const ids = (seed: number): string[] => carveValidation(samples, { fraction: 0.25, seed, by: 'image' }).validation.map((sample) => sample.id);
    expect(ids(7)).toEqual(ids(7));
    expect(ids(8)).not.toEqual(ids(7));
  });

  it('keeps at least one image on each side and rejects what cannot be carved', () => {
    expect(imagesOf(carveValidation(samples, { fraction: 0.001, seed: 1, by: 'image' }).validation).size).toBe(1);
    expect(imagesOf(carveValidation(samples, { fraction: 0.999, seed: 1, by: 'image' }).train).size).toBe(1);
    expect(() => carveValidation(samples, { fraction: 1, seed: 1, by: 'image' })).toThrow(InvalidConfigError);
    expect(() => carveValidation(samples, { fraction: 0.5, seed: 1, by: 'answer' as 'image' })).toThrow(/'image', 'sample' or 'question'/);
    expect(() =>
      carveValidation(
        samples.filter((sample) => sample.imageId === samples[0]!.imageId),
        { fraction: 0.5, seed: 1, by: 'image' },
      ),
    ).toThrow(/at least 2 distinct groups/);
  });

  it("by sample: a seeded share of the questions, images on both sides (as VQA-RAD's MEVF test split)", () => {
    const { train, validation } = carveValidation(samples, { fraction: 0.2, seed: 3, by: 'sample' });
    expect(validation).toHaveLength(Math.round(0.2 * samples.length));
    expect(train.length + validation.length).toBe(samples.length);
    const shared = [...imagesOf(validation)].filter((imageId) => imagesOf(train).has(imageId));
    expect(shared.length).toBeGreaterThan(0);
    expect(new Set([...train, ...validation].map((sample) => sample.id)).size).toBe(samples.length);
    expect(carveValidation(samples, { fraction: 0.2, seed: 3, by: 'sample' }).validation.map((sample) => sample.id)).toEqual(
      validation.map((sample) => sample.id),
    );
  });

  it('by question: repeats of a question about an image stay on one side; other questions of the image may not', () => {
    // The same questions again, reworded only in case, spacing and end punctuation, as VQA-RAD's train split repeats them.
    const repeats = samples.map((sample, index) =>
      sample.task === 'vqa' ? { ...sample, id: `${sample.id}-again-${index}`, question: ` ${sample.question.toUpperCase().replace(/\?$/, '')} . ` } : sample,
    );
    const all = [...samples, ...repeats];
    const key = (sample: (typeof all)[number]): string =>
      sample.task === 'vqa'
        ? `${sample.imageId}|${sample.question
            .toLowerCase()
            .replace(/[\s?.!]+$/, '')
            .trim()}`
        : sample.id;
    const { train, validation } = carveValidation(all, { fraction: 0.2, seed: 3, by: 'question' });
    const trained = new Set(train.map(key));
    expect(validation.filter((sample) => trained.has(key(sample)))).toEqual([]);
    expect(validation.length).toBeGreaterThan(0);
    expect([...imagesOf(validation)].some((imageId) => imagesOf(train).has(imageId))).toBe(true);
    // A sample carve splits the pairs: some validation questions are asked of the same image in training.
    const bySample = carveValidation(all, { fraction: 0.2, seed: 3, by: 'sample' });
    const sampleTrained = new Set(bySample.train.map(key));
    expect(bySample.validation.filter((sample) => sampleTrained.has(key(sample))).length).toBeGreaterThan(0);
  });
});
