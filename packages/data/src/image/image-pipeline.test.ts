import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { InvalidConfigError, SeededRandom } from '@umd/core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ImageDecodeError } from './image-decode-error.js';
import { createImagePipeline, type ImageCrop } from './image-pipeline.js';

let dir: string;
let files: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'umd-pipeline-'));
  files = [];
  for (let i = 0; i < 4; i++) {
    // 60 × 40 scans with a bright disc whose position depends on i.
    const pixels = Buffer.alloc(60 * 40);
    for (let y = 0; y < 40; y++) for (let x = 0; x < 60; x++) pixels[y * 60 + x] = (x - 15 - 8 * i) ** 2 + (y - 20) ** 2 < 64 ? 230 : 40;
    const path = join(dir, `scan-${i}.${i % 2 ? 'png' : 'jpg'}`);
    const encoder = sharp(pixels, { raw: { width: 60, height: 40, channels: 1 } });
    await writeFile(path, i % 2 ? await encoder.png().toBuffer() : await encoder.jpeg({ quality: 92 }).toBuffer());
    files.push(path);
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ImagePipeline', () => {
  it('outputs Float32Array [size, size, C] with the documented shape', async () => {
    const pipeline = createImagePipeline({ size: 32, channels: 3 });
    expect(pipeline.outputShape).toEqual([32, 32, 3]);
    const image = await pipeline.load({ kind: 'file', path: files[0]! });
    expect(image.data).toBeInstanceOf(Float32Array);
    expect([image.height, image.width, image.channels, image.data.length]).toEqual([32, 32, 3, 32 * 32 * 3]);
    // Grey input replicated into RGB: the three channels of a pixel carry the same byte, normalised per channel.
    const centre = (16 * 32 + 16) * 3;
    const bytes = [0, 1, 2].map((c) => image.data[centre + c]! * pipeline.normalization.std[c]! + pipeline.normalization.mean[c]!);
    expect(bytes[0]).toBeCloseTo(bytes[1]!, 5);
    expect(bytes[1]).toBeCloseTo(bytes[2]!, 5);
  });

  it('golden: a grey 64 px load has a fixed shape and mean', async () => {
    const pipeline = createImagePipeline({ size: 16, channels: 1 });
    const { data } = await pipeline.load({ kind: 'file', path: files[1]! }); // the PNG: lossless
    const mean = data.reduce((sum, value) => sum + value, 0) / data.length;
    // Background 40 and a disc of 230, resized to 24 × 16 (lanczos3, sharp 0.35.5), centre 16 × 16, mapped to [-1, 1].
    expect(data.length).toBe(256);
    expect({ mean: mean.toFixed(6), first: data[0]!.toFixed(6), centre: data[8 * 16 + 8]!.toFixed(6) }).toMatchInlineSnapshot(`
      {
        "centre": "-0.058824",
        "first": "-0.686275",
        "mean": "-0.506740",
      }
    `);
  });

  it('caches the resized bytes on disk: a second pass decodes nothing and gives identical output', async () => {
    const cacheDir = join(dir, 'cache-a');
    const first = createImagePipeline({ size: 24, channels: 1, cacheDir });
    const cold = await Promise.all(files.map((path) => first.load({ kind: 'file', path })));
    expect(first.stats()).toEqual({ cacheHits: 0, memoryHits: 0, decoded: 4 });
    const again = await Promise.all(files.map((path) => first.load({ kind: 'file', path })));
    expect(first.stats()).toEqual({ cacheHits: 4, memoryHits: 0, decoded: 4 });
    // A new pipeline (a new process) finds the entries by content hash.
    const second = createImagePipeline({ size: 24, channels: 1, cacheDir });
    const warm = await Promise.all(files.map((path) => second.load({ kind: 'file', path })));
    expect(second.stats()).toEqual({ cacheHits: 4, memoryHits: 0, decoded: 0 });
    for (let i = 0; i < files.length; i++) {
      expect(again[i]!.data).toEqual(cold[i]!.data);
      expect(warm[i]!.data).toEqual(cold[i]!.data);
    }
  });

  it('keys the cache by content and transform, not by path', async () => {
    const cacheDir = join(dir, 'cache-b');
    const copy = join(dir, 'copy-of-0.jpg');
    await writeFile(copy, await import('node:fs/promises').then(({ readFile }) => readFile(files[0]!)));
    const pipeline = createImagePipeline({ size: 24, channels: 1, cacheDir });
    await pipeline.load({ kind: 'file', path: files[0]! });
    await pipeline.load({ kind: 'file', path: copy });
    expect(pipeline.stats()).toEqual({ cacheHits: 1, memoryHits: 0, decoded: 1 });
    // Another transform (RGB) is another entry.
    const rgb = createImagePipeline({ size: 24, channels: 3, cacheDir });
    await rgb.load({ kind: 'file', path: copy });
    expect(rgb.stats()).toEqual({ cacheHits: 0, memoryHits: 0, decoded: 1 });
    // A changed file has another content hash: a new pipeline decodes it again (one pipeline assumes stable files).
    await writeFile(
      copy,
      await sharp({ create: { width: 30, height: 30, channels: 3, background: '#fff' } })
        .png()
        .toBuffer(),
    );
    const later = createImagePipeline({ size: 24, channels: 1, cacheDir });
    await later.load({ kind: 'file', path: copy });
    expect(later.stats().decoded).toBe(1);
    const entries = (await readdir(cacheDir, { recursive: true })).filter((name) => name.endsWith('.raw'));
    expect(entries).toHaveLength(3);
  });

  it('keeps images in memory with memoryCacheMiB: later loads read no file', async () => {
    const cacheDir = join(dir, 'cache-memory');
    const pipeline = createImagePipeline({ size: 24, channels: 1, cacheDir, memoryCacheMiB: 1 });
    const first = await pipeline.load({ kind: 'file', path: files[3]! });
    await rm(cacheDir, { recursive: true, force: true });
    const second = await pipeline.load({ kind: 'file', path: files[3]! });
    expect(pipeline.stats()).toEqual({ cacheHits: 0, memoryHits: 1, decoded: 1 });
    expect(second.data).toEqual(first.data);
    // Memory only, no disk cache: still decodes once.
    const memoryOnly = createImagePipeline({ size: 24, channels: 1, memoryCacheMiB: 1 });
    await memoryOnly.load({ kind: 'file', path: files[0]! });
    await memoryOnly.load({ kind: 'file', path: files[0]! });
    expect(memoryOnly.stats()).toEqual({ cacheHits: 0, memoryHits: 1, decoded: 1 });
  });

  it('applies random crops after the cached resize, reproducibly for a seed', async () => {
    const cacheDir = join(dir, 'cache-c');
    const pipeline = createImagePipeline({ size: 24, resizeTo: 32, channels: 1, cacheDir, crop: { kind: 'random-resized' } });
    const source = { kind: 'file', path: files[2]! } as const;
    const a = await pipeline.load(source, { random: new SeededRandom(5) });
    const b = await pipeline.load(source, { random: new SeededRandom(5) });
    const c = await pipeline.load(source, { random: new SeededRandom(6) });
    expect(pipeline.stats()).toEqual({ cacheHits: 2, memoryHits: 0, decoded: 1 });
    expect(a.data).toEqual(b.data);
    expect(a.data).not.toEqual(c.data);
    await expect(pipeline.load(source)).rejects.toThrow(InvalidConfigError);
  });

  it('caches in-memory pixel sources by content', async () => {
    const pipeline = createImagePipeline({ size: 8, channels: 1, cacheDir: join(dir, 'cache-d') });
    const data = Uint8Array.from({ length: 16 * 16 }, (_, i) => i % 256);
    await pipeline.load({ kind: 'pixels', width: 16, height: 16, channels: 1, data, key: 'a' });
    await pipeline.load({ kind: 'pixels', width: 16, height: 16, channels: 1, data, key: 'b' });
    expect(pipeline.stats()).toEqual({ cacheHits: 1, memoryHits: 0, decoded: 1 });
  });

  it('reports a missing or corrupt file with a typed error naming it, with and without the cache', async () => {
    const broken = join(dir, 'broken.jpg');
    await writeFile(
      broken,
      (
        await sharp({ create: { width: 50, height: 50, channels: 3, background: '#888' } })
          .jpeg()
          .toBuffer()
      ).subarray(0, 200),
    );
    for (const cacheDir of [undefined, join(dir, 'cache-e')]) {
      const pipeline = createImagePipeline({ size: 8, ...(cacheDir ? { cacheDir } : {}) });
      await expect(pipeline.load({ kind: 'file', path: broken })).rejects.toThrow(ImageDecodeError);
      await expect(pipeline.load({ kind: 'file', path: broken })).rejects.toThrow(broken);
      await expect(pipeline.load({ kind: 'file', path: join(dir, 'missing.png') })).rejects.toThrow(/missing\.png.*missing/);
    }
  });

  it('cuts a window at either end of the longer side: top and bottom of a tall image, left and right of a wide one', async () => {
    // Rows (tall) or columns (wide) numbered 0..31, so a crop's first and last values say where it was cut.
    const tall = Uint8Array.from({ length: 16 * 32 }, (_, i) => Math.floor(i / 16));
    const wide = Uint8Array.from({ length: 32 * 16 }, (_, i) => i % 32);
    const sources = [
      { kind: 'pixels', width: 16, height: 32, channels: 1, data: tall, key: 'tall' },
      { kind: 'pixels', width: 32, height: 16, channels: 1, data: wide, key: 'wide' },
    ] as const;
    const identity = { mean: [0], std: [1 / 255] }; // output = the pixel value
    const cut = async (crop: ImageCrop): Promise<number[][]> => {
      const pipeline = createImagePipeline({ size: 16, channels: 1, crop, normalization: identity });
      return Promise.all(sources.map(async (source) => Array.from((await pipeline.load(source)).data, Math.round)));
    };
    const [[top, left], [bottom, right], [centreTall, centreWide], [middleTall, middleWide]] = await Promise.all([
      cut({ kind: 'window', position: 0 }),
      cut({ kind: 'window', position: 1 }),
      cut({ kind: 'centre' }),
      cut({ kind: 'window', position: 0.5 }),
    ]);
    expect([top![0], top!.at(-1), bottom![0], bottom!.at(-1)]).toEqual([0, 15, 16, 31]);
    expect([left![0], left![15], right![0], right![15]]).toEqual([0, 15, 16, 31]);
    expect([centreTall![0], centreWide![0]]).toEqual([8, 8]);
    expect([middleTall, middleWide]).toEqual([centreTall, centreWide]);
    expect(() => createImagePipeline({ size: 16, crop: { kind: 'window', position: 1.5 } })).toThrow(/crop\.position/);
  });

  it('validates its config, naming the field', () => {
    expect(() => createImagePipeline({ size: 0 })).toThrow(/'size'/);
    expect(() => createImagePipeline({ size: 32, resizeTo: 16 })).toThrow(/'resizeTo'/);
    expect(() => createImagePipeline({ size: 32, channels: 1, normalization: { mean: [0.5, 0.5, 0.5], std: [1, 1, 1] } })).toThrow(/normalization\.mean/);
  });
});

const dataDir = process.env.UMD_DATA_DIR ?? resolve(import.meta.dirname, '../../../../../shared/data');
const medpixImages = join(dataDir, 'medpix-2.0', 'images');
const hasMedpix = existsSync(medpixImages);

describe.skipIf(!hasMedpix)(`ImagePipeline on real MedPix images (skipped: no ${medpixImages}; set UMD_DATA_DIR)`, () => {
  it('decodes real JPEGs at 224 px, RGB and grey, then serves them from the cache', async () => {
    const paths = readdirSync(medpixImages)
      .filter((name) => /\.(jpe?g|png)$/i.test(name))
      .slice(0, 8)
      .map((name) => join(medpixImages, name));
    const cacheDir = join(dir, 'cache-medpix');
    const rgb = createImagePipeline({ size: 224, channels: 3, cacheDir });
    const images = await Promise.all(paths.map((path) => rgb.load({ kind: 'file', path })));
    for (const image of images) {
      expect([image.height, image.width, image.channels]).toEqual([224, 224, 3]);
      expect(image.data.every(Number.isFinite)).toBe(true);
    }
    await Promise.all(paths.map((path) => rgb.load({ kind: 'file', path })));
    expect(rgb.stats()).toEqual({ cacheHits: paths.length, memoryHits: 0, decoded: paths.length });
    const grey = createImagePipeline({ size: 64, channels: 1 });
    expect((await grey.load({ kind: 'file', path: paths[0]! })).data).toHaveLength(64 * 64);
  });
});
