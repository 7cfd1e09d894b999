import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { UmdError } from '@umd/core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodeImage } from './decode-image.js';
import { ImageDecodeError } from './image-decode-error.js';

let dir: string;
/** 40 wide × 20 high: left half black, right half white. */
const halves = Buffer.alloc(40 * 20 * 3);
for (let y = 0; y < 20; y++) for (let x = 20; x < 40; x++) halves.fill(255, (y * 40 + x) * 3, (y * 40 + x) * 3 + 3);

async function writeImage(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'umd-decode-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('decodeImage', () => {
  it('decodes a JPEG to [H, W, 3] uint8 and to one grey channel', async () => {
    const path = await writeImage(
      'halves.jpg',
      await sharp(halves, { raw: { width: 40, height: 20, channels: 3 } })
        .jpeg({ quality: 95 })
        .toBuffer(),
    );
    const rgb = await decodeImage({ kind: 'file', path }, { channels: 3 });
    expect([rgb.height, rgb.width, rgb.channels, rgb.data.length]).toEqual([20, 40, 3, 20 * 40 * 3]);
    const grey = await decodeImage({ kind: 'file', path }, { channels: 1 });
    expect([grey.height, grey.width, grey.channels, grey.data.length]).toEqual([20, 40, 1, 800]);
    expect(grey.data[10 * 40 + 2]).toBeLessThan(10); // left: black
    expect(grey.data[10 * 40 + 37]).toBeGreaterThan(245); // right: white
  });

  it('applies the EXIF orientation before anything else', async () => {
    // Orientation 6: the stored pixels must be rotated 90° clockwise for display, so 40×20 shows as 20×40.
    const bytes = await sharp(halves, { raw: { width: 40, height: 20, channels: 3 } })
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const image = await decodeImage({ kind: 'file', path: await writeImage('rotated.jpg', bytes) }, { channels: 1 });
    expect([image.width, image.height]).toEqual([20, 40]);
    // The stored left half (black) is on top after a clockwise turn.
    expect(image.data[2 * 20 + 10]).toBeLessThan(10);
    expect(image.data[37 * 20 + 10]).toBeGreaterThan(245);
  });

  it('flattens alpha onto black and replicates grey into RGB', async () => {
    const rgba = Buffer.alloc(4 * 4 * 4, 255);
    for (let i = 0; i < 8; i++) rgba[i * 4 + 3] = 0; // top two rows transparent (white underneath)
    const path = await writeImage(
      'alpha.png',
      await sharp(rgba, { raw: { width: 4, height: 4, channels: 4 } })
        .png()
        .toBuffer(),
    );
    const image = await decodeImage({ kind: 'file', path }, { channels: 3 });
    expect(image.channels).toBe(3);
    expect(Array.from(image.data.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(Array.from(image.data.subarray(12 * 3, 12 * 3 + 3))).toEqual([255, 255, 255]);

    const greyPng = await sharp(Buffer.from([0, 100, 200, 255]), { raw: { width: 2, height: 2, channels: 1 } })
      .png()
      .toBuffer();
    const replicated = await decodeImage({ kind: 'file', path: await writeImage('grey.png', greyPng) }, { channels: 3 });
    expect(Array.from(replicated.data)).toEqual([0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255]);
  });

  it('reads 16-bit PNGs as 8-bit', async () => {
    const bytes = await sharp(halves, { raw: { width: 40, height: 20, channels: 3 } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    const image = await decodeImage({ kind: 'file', path: await writeImage('deep.png', bytes) }, { channels: 3 });
    expect(image.data.length).toBe(40 * 20 * 3);
    expect(image.data[(10 * 40 + 37) * 3]).toBe(255);
  });

  it('resizes the shorter side, keeping the aspect ratio', async () => {
    const path = await writeImage(
      'wide.png',
      await sharp(halves, { raw: { width: 40, height: 20, channels: 3 } })
        .png()
        .toBuffer(),
    );
    const image = await decodeImage({ kind: 'file', path }, { channels: 3, shorterSide: 10 });
    expect([image.width, image.height]).toEqual([20, 10]);
    const up = await decodeImage({ kind: 'file', path }, { channels: 3, shorterSide: 30 });
    expect([up.width, up.height]).toEqual([60, 30]);
  });

  it('decodes in-memory pixels, converting channels and size', async () => {
    const source = { kind: 'pixels', width: 4, height: 2, channels: 1, data: new Uint8Array([0, 10, 20, 30, 40, 50, 60, 70]), key: 'test:4x2' } as const;
    expect((await decodeImage(source, { channels: 1 })).data).toBe(source.data);
    expect((await decodeImage(source, { channels: 1, shorterSide: 2 })).data).toBe(source.data); // already that size
    expect((await decodeImage(source, { channels: 1, shorterSide: 2, square: true })).width).toBe(2);
    const rgb = await decodeImage(source, { channels: 3 });
    expect(Array.from(rgb.data.subarray(0, 6))).toEqual([0, 0, 0, 10, 10, 10]);
    const resized = await decodeImage(source, { channels: 1, shorterSide: 4 });
    expect([resized.width, resized.height]).toEqual([8, 4]);
    await expect(decodeImage({ ...source, data: new Uint8Array(3) }, { channels: 1 })).rejects.toThrow(/test:4x2/);
  });

  describe('bad files give a typed error naming the file', () => {
    const cases: [string, () => Promise<Uint8Array>, string][] = [
      [
        'truncated.jpg',
        async () =>
          (
            await sharp(halves, { raw: { width: 40, height: 20, channels: 3 } })
              .jpeg()
              .toBuffer()
          ).subarray(0, 300),
        'corrupt',
      ],
      [
        'truncated.png',
        async () => {
          const png = await sharp(halves, { raw: { width: 40, height: 20, channels: 3 } })
            .png()
            .toBuffer();
          return png.subarray(0, png.length - 30);
        },
        'corrupt',
      ],
      ['random.jpg', async () => Uint8Array.from({ length: 2000 }, (_, i) => (i * 7919 + 13) % 251), 'unrecognized'],
      ['zero.png', async () => new Uint8Array(0), 'empty'],
    ];
    for (const [name, make, reason] of cases) {
      it(`${name} → ${reason}`, async () => {
        const path = await writeImage(name, await make());
        const error = await decodeImage({ kind: 'file', path }, { channels: 3 }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ImageDecodeError);
        expect(UmdError.isInstance(error)).toBe(true);
        expect((error as ImageDecodeError).reason).toBe(reason);
        expect((error as ImageDecodeError).file).toBe(path);
        expect((error as Error).message).toContain(path);
      });
    }

    it('a missing file → missing', async () => {
      const path = join(dir, 'nope.jpg');
      const error = await decodeImage({ kind: 'file', path }, { channels: 3 }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ImageDecodeError);
      expect((error as ImageDecodeError).reason).toBe('missing');
      expect((error as Error).message).toContain(path);
    });

    it('an image over maxInputPixels → too-many-pixels (decompression-bomb guard)', async () => {
      const bomb = await sharp({ create: { width: 3000, height: 3000, channels: 3, background: '#000' } })
        .png()
        .toBuffer();
      const path = await writeImage('bomb.png', bomb);
      const error = await decodeImage({ kind: 'file', path }, { channels: 1, maxInputPixels: 1_000_000 }).catch((caught: unknown) => caught);
      expect((error as ImageDecodeError).reason).toBe('too-many-pixels');
      expect((error as Error).message).toMatch(/maxInputPixels/);
    });
  });
});
