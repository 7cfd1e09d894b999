import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

import { decodeImageBytes } from '../image/decode-image.js';
import { ImageDecodeError } from '../image/image-decode-error.js';
import { writeTestDicom } from './__fixtures__/write-dicom.js';
import { readDicomImage } from './read-dicom-image.js';
import { parseDicomWindow } from './voi-window.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const dicomDir = path.join(process.env['UMD_DATA_DIR'] ?? path.resolve(repoRoot, '../shared/data'), 'dicom', 'pydicom_test_files');
const real = (name: string): Uint8Array => readFileSync(path.join(dicomDir, name));
const reason = async (promise: Promise<unknown>): Promise<string> =>
  promise.then(
    () => 'none',
    (error: unknown) => (error instanceof ImageDecodeError ? error.reason : String(error)),
  );

describe('readDicomImage (generated files)', () => {
  const ramp = Array.from({ length: 16 }, (_, i) => i * 100 - 500); // −500 … 1000

  it('applies Rescale Slope / Intercept, then the file window, a preset, an explicit window or the range', async () => {
    const bytes = writeTestDicom({
      rows: 4,
      columns: 4,
      pixels: ramp.map((value) => (value + 1000) / 2),
      rescale: { slope: 2, intercept: -1000 },
      window: { center: 0, width: 1000 },
    });
    const file = await readDicomImage(bytes, 'ramp.dcm');
    expect(file.window).toEqual({ center: 0, width: 1000, source: 'file' });
    expect(Array.from(file.data.slice(0, 7))).toEqual([0, 26, 51, 77, 102, 128, 153]); // −500 … 100 HU through C 0 / W 1000
    expect(Array.from(file.data.slice(-4))).toEqual([255, 255, 255, 255]);
    const range = await readDicomImage(bytes, 'ramp.dcm', { window: 'range' });
    expect([range.data[0], range.data[15]]).toEqual([0, 255]);
    const lung = await readDicomImage(bytes, 'ramp.dcm', { window: 'lung' });
    expect(lung.window).toMatchObject({ center: -600, width: 1500, source: 'preset' });
    const explicit = await readDicomImage(bytes, 'ramp.dcm', { window: { center: 500, width: 1 } });
    expect(Array.from(explicit.data)).toEqual(ramp.map((value) => (value >= 500 ? 255 : 0)));
  });

  it('shows MONOCHROME1 inverted, signed pixels as signed, and picks a frame', async () => {
    const mono1 = await readDicomImage(writeTestDicom({ rows: 2, columns: 2, pixels: [0, 10, 20, 30], photometric: 'MONOCHROME1' }), 'm1.dcm', {
      window: 'range',
    });
    expect(Array.from(mono1.data)).toEqual([255, 170, 85, 0]);
    const signed = await readDicomImage(
      writeTestDicom({ rows: 1, columns: 2, pixels: [-1000, 1000], signed: true, window: { center: 0, width: 2001 } }),
      's.dcm',
    );
    expect(Array.from(signed.data)).toEqual([0, 255]);
    const twoFrames = writeTestDicom({ rows: 1, columns: 2, frames: 2, pixels: [0, 1, 7, 9] });
    expect(Array.from((await readDicomImage(twoFrames, 'f.dcm', { frame: 1, window: 'range' })).data)).toEqual([0, 255]);
    await expect(readDicomImage(twoFrames, 'f.dcm', { frame: 2 })).rejects.toThrow(
      "Cannot decode image 'f.dcm' (dicom-frame): frame 2 asked, the file has 2 (0 to 1)",
    );
  });

  it('names the file and the problem: no pixel data, an unsupported syntax, truncated pixels, not Part 10', async () => {
    expect(await reason(readDicomImage(writeTestDicom({ rows: 2, columns: 2, pixels: [], withoutPixels: true }), 'sr.dcm'))).toBe('dicom-no-pixel-data');
    const mpeg = writeTestDicom({ rows: 2, columns: 2, pixels: [1, 2, 3, 4], transferSyntax: '1.2.840.10008.1.2.4.100' });
    await expect(readDicomImage(mpeg, 'video.dcm')).rejects.toThrow(
      /'video\.dcm' \(dicom-unsupported-syntax\): transfer syntax 1\.2\.840\.10008\.1\.2\.4\.100 is not one/,
    );
    const whole = writeTestDicom({ rows: 8, columns: 8, pixels: Array.from({ length: 64 }, (_, i) => i) });
    expect(await reason(readDicomImage(whole.subarray(0, whole.length - 40), 'cut.dcm'))).toBe('corrupt');
    expect(await reason(readDicomImage(new Uint8Array(200), 'zeros.dcm'))).toBe('dicom-not-part10');
  });

  it('goes through decodeImageBytes like any image, and a window parses from the command line', async () => {
    const bytes = writeTestDicom({ rows: 4, columns: 4, pixels: ramp.map((value) => value + 500) });
    const image = await decodeImageBytes(bytes, 'ramp.dcm', { channels: 3, shorterSide: 8 });
    expect([image.width, image.height, image.channels]).toEqual([8, 8, 3]);
    expect(parseDicomWindow('lung')).toBe('lung');
    expect(parseDicomWindow('-600,1500')).toEqual({ center: -600, width: 1500 });
    expect(parseDicomWindow('wide')).toBeUndefined();
  });

  it('scales a 16-bit PNG holding 12-bit data by its range, not by 65,535', async () => {
    const values = new Uint16Array(64).map((_, i) => Math.round((i / 63) * 4095));
    const png = await sharp(Buffer.from(values.buffer), { raw: { width: 8, height: 8, channels: 1, premultiplied: false } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
    expect((await sharp(png).metadata()).depth).toBe('ushort');
    const image = await decodeImageBytes(png, 'ct12.png', { channels: 1 });
    expect([Math.min(...image.data), Math.max(...image.data)]).toEqual([0, 255]);
  });
});

describe.skipIf(!existsSync(dicomDir))(`readDicomImage (pydicom's test files in ${dicomDir})`, () => {
  it('reads MR_small identically in eight transfer syntaxes (native LE/BE/implicit, RLE, JPEG 2000 and JPEG-LS lossless)', async () => {
    const reference = await readDicomImage(real('MR_small.dcm'), 'MR_small.dcm');
    expect(reference.window).toMatchObject({ source: 'file' });
    for (const name of [
      'MR_small_implicit.dcm',
      'MR_small_bigendian.dcm',
      'MR_small_expb.dcm',
      'MR_small_padded.dcm',
      'MR_small_RLE.dcm',
      'MR_small_jp2klossless.dcm',
      'MR_small_jpeg_ls_lossless.dcm',
    ]) {
      const image = await readDicomImage(real(name), name);
      expect(image.data, name).toEqual(reference.data);
    }
  });

  it('reads the RGB test card from raw, RLE (8/16/32-bit), JPEG Lossless, JPEG 2000 and JPEG baseline alike', async () => {
    const reference = await readDicomImage(real('SC_rgb_rle.dcm'), 'SC_rgb_rle.dcm');
    expect(reference.channels).toBe(3);
    for (const name of ['SC_rgb_rle_16bit.dcm', 'SC_rgb_rle_32bit.dcm', 'SC_rgb_jpeg_gdcm.dcm', 'SC_rgb_gdcm_KY.dcm']) {
      expect((await readDicomImage(real(name), name)).data, name).toEqual(reference.data);
    }
    for (const name of ['SC_rgb_dcmtk_+eb+cr.dcm', 'SC_rgb_dcmtk_+eb+cy+n1.dcm', 'SC_rgb_dcmtk_+eb+cy+np.dcm', 'SC_rgb_jpeg_dcmtk.dcm']) {
      const lossy = (await readDicomImage(real(name), name)).data;
      const meanError = lossy.reduce((sum, value, i) => sum + Math.abs(value - reference.data[i]!), 0) / lossy.length;
      expect(meanError, name).toBeLessThan(3); // lossy JPEG
    }
    const second = await readDicomImage(real('SC_rgb_rle_2frame.dcm'), 'SC_rgb_rle_2frame.dcm', { frame: 1 });
    expect(second.frames).toBe(2);
  });

  it('reads deflated files and 1-bit masks; refuses truncated, image-less, 12-bit JPEG and raw data sets by name', async () => {
    expect((await readDicomImage(real('image_dfl.dcm'), 'image_dfl.dcm')).width).toBe(512);
    expect(new Set((await readDicomImage(real('liver_1frame.dcm'), 'liver_1frame.dcm')).data)).toEqual(new Set([0, 255]));
    expect(await reason(readDicomImage(real('MR_truncated.dcm'), 'MR_truncated.dcm'))).toBe('corrupt');
    expect(await reason(readDicomImage(real('rtplan.dcm'), 'rtplan.dcm'))).toBe('dicom-no-pixel-data');
    await expect(readDicomImage(real('JPGExtended.dcm'), 'JPGExtended.dcm')).rejects.toThrow(
      /transfer syntax 1\.2\.840\.10008\.1\.2\.4\.51 is not one this reader decodes/,
    );
    expect(await reason(readDicomImage(real('no_meta.dcm'), 'no_meta.dcm'))).toBe('dicom-not-part10');
  });
});
