import { InvalidConfigError, SeededRandom } from '@umd/core';
import { createImagePipeline, type CollateContext } from '@umd/data';
import { describe, expect, it } from 'vitest';

import { phantomSplits, textTokenizer } from './__fixtures__/phantom-fixtures.js';
import { createTaskCollate } from './task-collate.js';

describe('createTaskCollate', () => {
  // Several questions per phantom scan: samples that share an imageId.
  const samples = phantomSplits('vqa', { train: 4, validate: 0 }).train.slice(0, 8);
  const tokenizer = textTokenizer(samples.map((sample) => sample.question));
  const pipeline = createImagePipeline({ size: 32, channels: 1, resizeTo: 48, crop: { kind: 'random-resized', scale: [0.2, 1] } });
  /** A loader's context for `epoch`: fresh per-position randoms, as `BatchLoader` makes them. */
  const context = (epoch: number): CollateContext => ({
    epoch,
    batchIndex: 0,
    indices: samples.map((_, i) => i),
    randoms: samples.map((_, i) => new SeededRandom(`test:${epoch}:${i}`)),
  });
  /** The batch's images, one array per sample. */
  const images = async (collate: ReturnType<typeof createTaskCollate>, epoch: number): Promise<Float32Array[]> => {
    const batch = await collate(samples, context(epoch));
    const size = batch.images.data.length / samples.length;
    return samples.map((_, b) => batch.images.data.slice(b * size, (b + 1) * size));
  };

  it('augmentViews: epoch e shows crop e mod count of each image, the same for every sample of that image', async () => {
    expect(new Set(samples.map((sample) => sample.imageId)).size).toBeLessThan(samples.length);
    const collate = createTaskCollate({ pipeline, tokenizer, maxLength: 24, augmentViews: { count: 2, seed: 7 } });
    const [first, second, third] = [await images(collate, 0), await images(collate, 1), await images(collate, 2)];
    expect(third).toEqual(first); // view 0 again
    for (let b = 0; b < samples.length; b++) expect(second[b]).not.toEqual(first[b]); // view 1 is another crop
    for (let b = 1; b < samples.length; b++) {
      const a = samples.findIndex((sample) => sample.imageId === samples[b]!.imageId);
      if (a < b) expect(first[b]).toEqual(first[a]);
    }
    // Another seed draws other crops.
    const other = await images(createTaskCollate({ pipeline, tokenizer, maxLength: 24, augmentViews: { count: 2, seed: 8 } }), 0);
    expect(other[0]).not.toEqual(first[0]);
  });

  it('without augmentViews every epoch draws fresh crops from the context', async () => {
    const collate = createTaskCollate({ pipeline, tokenizer, maxLength: 24 });
    const [first, third] = [await images(collate, 0), await images(collate, 2)];
    expect(third[0]).not.toEqual(first[0]);
  });

  it('refuses a view count that is not a positive integer', () => {
    for (const count of [0, 1.5]) {
      expect(() => createTaskCollate({ pipeline, tokenizer, maxLength: 24, augmentViews: { count, seed: 1 } })).toThrow(InvalidConfigError);
    }
  });
});
