import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { expectNoTensorLeak, useBackend } from '@umd/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createImagePipeline } from '../image/image-pipeline.js';
import { generatePhantomDataset } from '../phantom/generate-phantom-dataset.js';
import { loadWordPieceTokenizer, type WordPieceTokenizer } from '../text/word-piece-tokenizer.js';
import { createBatchLoader } from './batch-loader.js';
import { batchToTensors } from './batch-to-tensors.js';
import { createImageTextCollate } from './image-text-collate.js';

let dir: string;
let tokenizer: WordPieceTokenizer;
const dataset = generatePhantomDataset({ seed: 3, counts: { train: 12, validate: 0, test: 0 }, tasks: ['vqa'] });

beforeAll(async () => {
  await useBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'umd-collate-'));
  tokenizer = await loadWordPieceTokenizer({ cacheDir: dir });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function makeLoader(seed: number) {
  const pipeline = createImagePipeline({ size: 48, resizeTo: 64, channels: 1, crop: { kind: 'random-resized' }, cacheDir: join(dir, 'images') });
  return createBatchLoader({ samples: dataset.splits.train, batchSize: 8, seed, collate: createImageTextCollate({ pipeline, tokenizer, maxLength: 24 }) });
}

describe('createImageTextCollate', () => {
  it('turns phantom VQA samples into [B, H, W, C] images and [B, T] token arrays', async () => {
    const loader = makeLoader(1);
    const { value: batch } = await loader.next();
    expect(batch.samples).toHaveLength(8);
    expect(batch.images.shape).toEqual([8, 48, 48, 1]);
    expect(batch.images.data).toHaveLength(8 * 48 * 48);
    const [B, T] = batch.inputIds.shape;
    expect(B).toBe(8);
    expect(T).toBeLessThanOrEqual(24);
    expect(batch.attentionMask.shape).toEqual([8, T]);
    expect(batch.wordIds.shape).toEqual([8, T]);
    // Row 0 is the tokenised question of sample 0.
    expect(Array.from(batch.inputIds.data.subarray(0, T!)).filter((id) => id !== 0)).toEqual(tokenizer.encode(batch.samples[0]!.question).ids);
  });

  it('reproduces random crops after a resume', async () => {
    const reference = makeLoader(9);
    await reference.next();
    const saved = reference.state();
    const expected = (await reference.next()).value;
    const resumed = makeLoader(9);
    resumed.restore(saved);
    const actual = (await resumed.next()).value;
    expect(actual.samples.map((sample) => sample.id)).toEqual(expected.samples.map((sample) => sample.id));
    expect(actual.images.data).toEqual(expected.images.data);
  });

  it('batches become tensors without leaks', async () => {
    const { value: batch } = await makeLoader(2).next();
    await expectNoTensorLeak(() => {
      const tensors = batchToTensors({ images: batch.images, inputIds: batch.inputIds, attentionMask: batch.attentionMask });
      expect(tensors.images.shape).toEqual([8, 48, 48, 1]);
      return tensors;
    });
  });
});
