import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@umd/core';
import { expectNoTensorLeak, useBackend } from '@umd/core/testing';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadImageBatch, loadPixelBatch } from '../batching/load-image-batch.js';
import type { ImageSource } from '../sample.js';
import { createImagePipeline } from './image-pipeline.js';
import { imageNormalizations, normalizeImage } from './normalize-image.js';
import { normalizePixels } from './normalize-pixels.js';

let dir: string;
const sources: ImageSource[] = [];

beforeAll(async () => {
  await useBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'umd-pixels-'));
  const random = new SeededRandom(1);
  for (let i = 0; i < 5; i++) {
    const pixels = Buffer.from(Array.from({ length: 48 * 36 * 3 }, () => Math.floor(random.next() * 256)));
    const path = join(dir, `rgb-${i}.png`);
    await writeFile(
      path,
      await sharp(pixels, { raw: { width: 48, height: 36, channels: 3 } })
        .png()
        .toBuffer(),
    );
    sources.push({ kind: 'file', path });
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('loadPixelBatch and normalizePixels', () => {
  it('load the same crops as bytes, and normalise on the tensor side to what loadImageBatch gives', async () => {
    for (const crop of [{ kind: 'centre' }, { kind: 'random-resized', scale: [0.3, 1] }] as const) {
      const pipeline = createImagePipeline({ size: 32, channels: 3, resizeTo: 36, crop, memoryCacheMiB: 4 });
      const randoms = (): SeededRandom[] => sources.map((_, i) => new SeededRandom(`crop:${i}`));
      const [floats, pixels] = [
        await loadImageBatch(pipeline, sources, { randoms: randoms() }),
        await loadPixelBatch(pipeline, sources, { randoms: randoms() }),
      ];
      expect(pixels.shape).toEqual([5, 32, 32, 3]);
      expect(pixels.data).toBeInstanceOf(Uint8Array);
      const normalised = tf.tidy(() => normalizePixels(tf.tensor4d(pixels.data, [5, 32, 32, 3], 'int32'), pipeline.normalization).dataSync());
      let largest = 0;
      normalised.forEach((value, i) => (largest = Math.max(largest, Math.abs(value - floats.data[i]!))));
      expect(largest, crop.kind).toBeLessThan(1e-6);
      // normalizeImage of each image's bytes is loadImageBatch's row, exactly.
      const row = normalizeImage({ width: 32, height: 32, channels: 3, data: pixels.data.subarray(0, 32 * 32 * 3) }, pipeline.normalization);
      expect(row.data).toEqual(floats.data.subarray(0, 32 * 32 * 3));
    }
  });

  it('loadPixels writes into a given buffer and refuses one of another length; no tensor is left behind', async () => {
    const pipeline = createImagePipeline({ size: 32, channels: 3 });
    const out = new Uint8Array(32 * 32 * 3);
    const image = await pipeline.loadPixels(sources[0]!, { out });
    expect(image.data).toBe(out);
    expect(out.some((value) => value !== 0)).toBe(true);
    await expect(pipeline.loadPixels(sources[0]!, { out: new Uint8Array(10) })).rejects.toThrow(/out/);
    const pixels = tf.tensor4d(out, [1, 32, 32, 3], 'int32');
    await expectNoTensorLeak(() => tf.dispose(normalizePixels(pixels, imageNormalizations.imagenet)));
    expect(() => normalizePixels(pixels, imageNormalizations.grey)).toThrow(/normalization.mean/);
    expect(() => tf.tidy(() => normalizePixels(tf.zeros([1, 4, 4, 2]), imageNormalizations.grey))).toThrow(/normalizePixels/);
    pixels.dispose();
  });
});
