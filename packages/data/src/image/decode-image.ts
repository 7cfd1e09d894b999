import { readFile } from 'node:fs/promises';

import { ShapeMismatchError } from '@umd/core';
import sharp, { type Metadata, type OutputInfo, type Sharp } from 'sharp';

import { isDicom, readDicomImage, type ReadDicomOptions } from '../dicom/read-dicom-image.js';
import type { ImageSource } from '../sample.js';
import { ImageDecodeError } from './image-decode-error.js';
import type { RawImage } from './raw-image.js';

/** Largest accepted input, in pixels (width × height), unless `maxInputPixels` says otherwise: 10,000 × 10,000. */
export const defaultMaxInputPixels = 100_000_000;

/** Options of {@link decodeImage} and {@link decodeImageBytes}. */
export interface DecodeImageOptions {
  /** Output channels: 1 = grey (luminance), 3 = RGB (grey inputs are replicated). */
  readonly channels: 1 | 3;
  /**
   * Resize so that the shorter side has this many pixels, keeping the aspect ratio (enlarging small images too).
   * Omit to keep the decoded size.
   */
  readonly shorterSide?: number;
  /**
   * With `shorterSide`: also cut the centre square, so the output is shorterSide × shorterSide (sharp's `cover` fit;
   * the same pixels as resizing then centre-cropping, at lower cost). Default false.
   */
  readonly square?: boolean;
  /**
   * Decompression-bomb guard: an image whose header declares more than this many pixels is rejected before its
   * pixels are decoded (sharp's `limitInputPixels`). Default {@link defaultMaxInputPixels}.
   */
  readonly maxInputPixels?: number;
  /** How DICOM files are shown: the VOI window of grey images and the frame of multi-frame files. */
  readonly dicom?: ReadDicomOptions;
}

/**
 * Decodes an image into 8-bit [H, W, C] pixels: applies the EXIF orientation, flattens any alpha channel onto black
 * (the background of scans), converts to grey or RGB and optionally resizes (shorter side, aspect kept).
 *
 * @param source a file (JPEG, PNG or anything sharp decodes) or in-memory pixels
 * @returns [H, W, C] uint8, C = `options.channels`
 * @throws ImageDecodeError naming the file for a missing, empty, truncated, corrupt or oversized image
 */
export async function decodeImage(source: ImageSource, options: DecodeImageOptions): Promise<RawImage> {
  if (source.kind === 'file') return decodeImageBytes(await readImageFile(source.path), source.path, options);
  const { width, height, channels, data, key } = source;
  if (data.length !== width * height * channels) {
    throw new ShapeMismatchError(`image '${key}' data`, [height, width, channels], [data.length], 'An in-memory image holds H*W*C bytes.');
  }
  // Already in shape (e.g. phantom scans at the model's size): no sharp round trip.
  const sizeMatches = options.shorterSide === undefined || (Math.min(width, height) === options.shorterSide && (!options.square || width === height));
  if (sizeMatches && channels === options.channels) return { width, height, channels, data };
  const pipeline = sharp(data, { raw: { width, height, channels } });
  return runPipeline(pipeline, key, options);
}

/**
 * Reads an image file's bytes (for hashing before decoding).
 *
 * @throws ImageDecodeError with reason `missing`, `unreadable` or `empty`
 */
export async function readImageFile(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ImageDecodeError(path, 'missing', 'no such file', { cause: error });
    throw new ImageDecodeError(path, 'unreadable', code ?? String(error), { cause: error });
  }
  if (bytes.length === 0) throw new ImageDecodeError(path, 'empty', 'the file has 0 bytes');
  return bytes;
}

/**
 * Decodes encoded image bytes (see {@link decodeImage}). `file` names the image in errors.
 *
 * @returns [H, W, C] uint8
 * @throws ImageDecodeError naming `file`
 */
export async function decodeImageBytes(bytes: Uint8Array, file: string, options: DecodeImageOptions): Promise<RawImage> {
  if (bytes.length === 0) throw new ImageDecodeError(file, 'empty', 'the input has 0 bytes');
  if (isDicom(bytes)) {
    const dicom = await readDicomImage(bytes, file, options.dicom);
    if (dicom.width * dicom.height > (options.maxInputPixels ?? defaultMaxInputPixels)) {
      throw new ImageDecodeError(file, 'too-many-pixels', `${dicom.width} × ${dicom.height} pixels`);
    }
    return runPipeline(sharp(dicom.data, { raw: { width: dicom.width, height: dicom.height, channels: dicom.channels } }), file, options);
  }
  const wide = await sixteenBitPixels(bytes, file, options);
  if (wide) return runPipeline(wide, file, options);
  // failOn 'warning' (sharp's default) turns libjpeg's "premature end of data" into an error instead of grey fill.
  const pipeline = sharp(bytes, {
    limitInputPixels: options.maxInputPixels ?? defaultMaxInputPixels,
    failOn: 'warning',
    autoOrient: true,
  });
  return runPipeline(pipeline, file, options);
}

/**
 * A 16-bit grey PNG or TIFF scaled to 8 bits by its own range (minimum to maximum) instead of sharp's division by
 * 256: scans store 10–12-bit data in 16-bit files, which a fixed division would leave nearly black. Undefined for
 * other images.
 */
async function sixteenBitPixels(bytes: Uint8Array, file: string, options: DecodeImageOptions): Promise<Sharp | undefined> {
  if (!(isPng(bytes) || isTiff(bytes))) return undefined; // JPEG and the rest are 8-bit: no second header read
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: options.maxInputPixels ?? defaultMaxInputPixels }).metadata();
  } catch {
    return undefined; // the main path reports the problem with its own classification
  }
  if (metadata.depth !== 'ushort' || (metadata.channels ?? 1) > 2) return undefined;
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(bytes, { limitInputPixels: options.maxInputPixels ?? defaultMaxInputPixels, failOn: 'warning', autoOrient: true })
      .extractChannel(0)
      .raw({ depth: 'ushort' })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw classify(error, file);
  }
  const values = new Uint16Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length / 2);
  let min = 65535;
  let max = 0;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const span = Math.max(1, max - min);
  const scaled = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) scaled[i] = Math.round((255 * (values[i]! - min)) / span);
  return sharp(scaled, { raw: { width: decoded.info.width, height: decoded.info.height, channels: 1 } });
}

const isPng = (bytes: Uint8Array): boolean => bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
const isTiff = (bytes: Uint8Array): boolean =>
  (bytes[0] === 0x49 && bytes[1] === 0x49 && bytes[2] === 0x2a) || (bytes[0] === 0x4d && bytes[1] === 0x4d && bytes[3] === 0x2a);

async function runPipeline(pipeline: Sharp, file: string, options: DecodeImageOptions): Promise<RawImage> {
  let output = pipeline.flatten({ background: { r: 0, g: 0, b: 0 } });
  if (options.shorterSide !== undefined) {
    // 'outside': both sides >= shorterSide, aspect kept, so the shorter side is exactly shorterSide.
    // 'cover': the same resize, then the centre shorterSide × shorterSide.
    output = output.resize({ width: options.shorterSide, height: options.shorterSide, fit: options.square ? 'cover' : 'outside' });
  }
  output = options.channels === 1 ? output.toColourspace('b-w') : output.toColourspace('srgb');
  let result: { data: Buffer; info: OutputInfo };
  try {
    result = await output.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw classify(error, file);
  }
  const { data, info } = result;
  if (info.channels !== options.channels) {
    // Not expected after toColourspace; guards against a sharp behaviour change rather than bad input.
    throw new ImageDecodeError(file, 'unrecognized', `decoded to ${info.channels} channels, expected ${options.channels}`);
  }
  return {
    width: info.width,
    height: info.height,
    channels: options.channels,
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}

function classify(error: unknown, file: string): ImageDecodeError {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) return new ImageDecodeError(file, 'too-many-pixels', message, { cause: error });
  if (/unsupported image format/i.test(message)) return new ImageDecodeError(file, 'unrecognized', message, { cause: error });
  if (/empty/i.test(message)) return new ImageDecodeError(file, 'empty', message, { cause: error });
  return new ImageDecodeError(file, 'corrupt', message, { cause: error });
}
