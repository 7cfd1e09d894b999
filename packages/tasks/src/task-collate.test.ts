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

  it('sentenceDrop: cuts training captions per sample and epoch, reproducibly; evaluation and VQA questions read whole texts', async () => {
    const captionText = 'axial scan of the chest. a mass in the left lung. no effusion. the heart is normal.';
    const captions = phantomSplits('caption', { train: 4, validate: 0 }).train.map((sample) => ({ ...sample, caption: captionText }));
    const words = textTokenizer([captionText, ...samples.map((sample) => sample.question)]);
    const centre = createImagePipeline({ size: 32, channels: 1 });
    const collate = createTaskCollate({ pipeline: centre, tokenizer: words, maxLength: 32, sentenceDrop: { probability: 0.5, seed: 3 } });
    const trainingContext = (epoch: number): CollateContext => ({
      ...context(epoch),
      indices: captions.map((_, i) => i),
      randoms: captions.map(() => new SeededRandom(1)),
    });
    const lengths = async (epoch?: number): Promise<number[]> => {
      const batch = await collate(captions, epoch === undefined ? undefined : trainingContext(epoch));
      const T = batch.attentionMask.shape[1]!;
      return captions.map((_, b) => batch.attentionMask.data.slice(b * T, (b + 1) * T).reduce((sum, flag) => sum + flag, 0));
    };
    const whole = await lengths();
    expect(new Set(whole).size).toBe(1); // every caption whole without a context (evaluation)
    const epochs = [await lengths(0), await lengths(1), await lengths(2)];
    expect(await lengths(0)).toEqual(epochs[0]); // the same draw again
    const cut = epochs.flat();
    expect(cut.some((length) => length < whole[0]!)).toBe(true);
    expect(cut.every((length) => length <= whole[0]! && length >= 5)).toBe(true); // at least one sentence and [CLS] [SEP]
    expect(epochs[1]).not.toEqual(epochs[0]);
    // VQA questions are never cut, even in training.
    const questions = createTaskCollate({ pipeline: centre, tokenizer: words, maxLength: 32, sentenceDrop: { probability: 0.9, seed: 3 } });
    const [trained, evaluated] = [await questions(samples, context(0)), await questions(samples)];
    expect(trained.inputIds.data).toEqual(evaluated.inputIds.data);
    expect(() => createTaskCollate({ pipeline, tokenizer, maxLength: 24, sentenceDrop: { probability: 1, seed: 1 } })).toThrow(InvalidConfigError);
  });

  it('blindText: every text is empty ([CLS] [SEP]) while the images are read', async () => {
    const centre = createImagePipeline({ size: 32, channels: 1 });
    const [blind, seeing] = [
      await createTaskCollate({ pipeline: centre, tokenizer, maxLength: 24, blindText: true })(samples),
      await createTaskCollate({ pipeline: centre, tokenizer, maxLength: 24 })(samples),
    ];
    const T = blind.attentionMask.shape[1]!;
    for (let b = 0; b < samples.length; b++) expect(blind.attentionMask.data.slice(b * T, (b + 1) * T).reduce((sum, flag) => sum + flag, 0)).toBe(2);
    expect(blind.images.data).toEqual(seeing.images.data);
    expect(blind.images.data.some((value) => value !== 0)).toBe(true);
    expect(() => createTaskCollate({ pipeline: centre, tokenizer, maxLength: 24, blindText: true, blindImage: true })).toThrow(/blindText/);
  });

  it('refuses a view count that is not a positive integer', () => {
    for (const count of [0, 1.5]) {
      expect(() => createTaskCollate({ pipeline, tokenizer, maxLength: 24, augmentViews: { count, seed: 1 } })).toThrow(InvalidConfigError);
    }
  });
});
