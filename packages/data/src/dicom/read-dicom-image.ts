import { inflateRawSync } from 'node:zlib';

import dicomParser, { type DataSet, type Element } from 'dicom-parser';
import sharp from 'sharp';

import { ImageDecodeError } from '../image/image-decode-error.js';
import type { RawImage } from '../image/raw-image.js';
import { jpeg2000Decoder, jpegLosslessDecoder, jpegLsDecoder } from './dicom-codecs.js';
import { decodeRleFrame } from './rle-decode.js';
import { applyWindow, rangeWindow, windowPresets, type DicomWindow, type WindowLevel } from './voi-window.js';

/** Options of {@link readDicomImage}. */
export interface ReadDicomOptions {
  /** The VOI window of grey images (see {@link DicomWindow}). Default `file`. */
  readonly window?: DicomWindow;
  /** 0-based frame of a multi-frame file. Default 0. */
  readonly frame?: number;
}

/** A DICOM image as 8-bit pixels, with what was read and applied. */
export interface DicomImage extends RawImage {
  readonly transferSyntax: string;
  readonly photometric: string;
  readonly frames: number;
  readonly frame: number;
  /** The window applied to a grey image (after Rescale Slope / Intercept), and where it came from. */
  readonly window?: WindowLevel & { readonly source: 'file' | 'range' | 'preset' | 'explicit' };
  readonly modality?: string;
}

/** Transfer syntaxes read here, by UID. */
export const dicomTransferSyntaxes: Readonly<Record<string, string>> = {
  '1.2.840.10008.1.2': 'Implicit VR Little Endian',
  '1.2.840.10008.1.2.1': 'Explicit VR Little Endian',
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
  '1.2.840.10008.1.2.2': 'Explicit VR Big Endian',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline (8-bit)',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless, first-order prediction',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-Lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Lossless',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
};

/** Whether `bytes` start like a DICOM Part 10 file (`DICM` after the 128-byte preamble). */
export function isDicom(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/**
 * Reads the pixels of a DICOM Part 10 file as an 8-bit image: native (implicit/explicit little endian, big endian,
 * deflated), RLE, JPEG baseline (sharp), JPEG Lossless (jpeg-lossless-decoder-js), JPEG-LS (CharLS) and JPEG 2000
 * (OpenJPEG) pixel data; Rescale Slope / Intercept; for grey images the VOI window (`options.window`) and MONOCHROME1
 * inverted; colour images (RGB, YBR_FULL, YBR_FULL_422) as RGB. `file` names the file in errors.
 *
 * @throws ImageDecodeError naming the file: `dicom-not-part10`, `corrupt` (truncated or malformed),
 *   `dicom-no-pixel-data`, `dicom-unsupported-syntax` (naming the syntax), `dicom-frame` (no such frame)
 */
export async function readDicomImage(bytes: Uint8Array, file: string, options: ReadDicomOptions = {}): Promise<DicomImage> {
  if (!isDicom(bytes)) throw new ImageDecodeError(file, 'dicom-not-part10', 'no "DICM" marker after the 128-byte preamble');
  let data: DataSet;
  try {
    data = dicomParser.parseDicom(bytes, { inflater: inflate });
  } catch (error) {
    throw new ImageDecodeError(file, 'corrupt', parserMessage(error), { cause: error });
  }
  const syntax = data.string('x00020010') ?? '';
  const pixelData = data.elements['x7fe00010'] ?? data.elements['x7fe00008'] ?? data.elements['x7fe00009'];
  if (!pixelData || pixelData.length === 0)
    throw new ImageDecodeError(file, 'dicom-no-pixel-data', `${data.string('x00080060') ?? 'this'} object has no Pixel Data (7FE0,0010)`);
  if (!(syntax in dicomTransferSyntaxes)) {
    throw new ImageDecodeError(
      file,
      'dicom-unsupported-syntax',
      `transfer syntax ${syntax || '(none)'} is not one this reader decodes (${Object.keys(dicomTransferSyntaxes).length} are: ${Object.values(dicomTransferSyntaxes).join(', ')})`,
    );
  }
  const rows = data.uint16('x00280010') ?? 0;
  const columns = data.uint16('x00280011') ?? 0;
  const samples = data.uint16('x00280002') ?? 1;
  const bitsAllocated = data.uint16('x00280100') ?? 8;
  const bitsStored = data.uint16('x00280101') ?? bitsAllocated;
  const signed = data.uint16('x00280103') === 1;
  const photometric = (data.string('x00280004') ?? (samples === 3 ? 'RGB' : 'MONOCHROME2')).trim();
  const frames = Math.max(1, Number.parseInt(data.string('x00280008') ?? '1', 10) || 1);
  const frame = options.frame ?? 0;
  if (rows === 0 || columns === 0) throw new ImageDecodeError(file, 'corrupt', `Rows ${rows} × Columns ${columns}: no image size`);
  if (!(Number.isInteger(frame) && frame >= 0 && frame < frames))
    throw new ImageDecodeError(file, 'dicom-frame', `frame ${frame} asked, the file has ${frames} (0 to ${frames - 1})`);
  const pixels = rows * columns;
  const layout = {
    rows,
    columns,
    samples,
    bitsAllocated,
    bitsStored,
    signed,
    planar: data.uint16('x00280006') === 1,
    subsampled: photometric === 'YBR_FULL_422',
  };

  let values: Float64Array | undefined; // grey: modality values; colour: samples interleaved
  let rgb: Uint8Array | undefined; // colour decoded straight to 8-bit RGB (JPEG baseline)
  try {
    if (!pixelData.encapsulatedPixelData) {
      values = nativeFrame(data, pixelData, frame, layout, syntax === '1.2.840.10008.1.2.2');
    } else {
      const encoded = encapsulatedFrame(data, pixelData, frame, frames);
      if (syntax === '1.2.840.10008.1.2.4.50') {
        const decoded = await sharp(encoded, { failOn: 'warning' }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
        if (decoded.info.channels === 3 || decoded.info.channels === 1) {
          if (decoded.info.channels === 3) rgb = new Uint8Array(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length);
          else values = Float64Array.from(decoded.data);
        } else throw new Error(`JPEG decoded to ${decoded.info.channels} channels`);
      } else {
        values = await decodeCompressed(syntax, encoded, pixels, layout);
      }
    }
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    throw new ImageDecodeError(file, 'corrupt', `${dicomTransferSyntaxes[syntax]} pixel data of frame ${frame}: ${(error as Error).message ?? String(error)}`, {
      cause: error,
    });
  }

  const base = {
    transferSyntax: syntax,
    photometric,
    frames,
    frame,
    width: columns,
    height: rows,
    ...(data.string('x00080060') ? { modality: data.string('x00080060')! } : {}),
  };
  if (samples === 3) {
    const out = rgb ?? colourToRgb(values!, pixels, photometric, bitsStored);
    return { ...base, channels: 3, data: out };
  }
  const slope = data.floatString('x00281053') ?? 1;
  const intercept = data.floatString('x00281052') ?? 0;
  const modality = values!;
  if (slope !== 1 || intercept !== 0) for (let i = 0; i < modality.length; i++) modality[i] = modality[i]! * slope + intercept;
  const window = chooseWindow(options.window ?? 'file', data, modality);
  return { ...base, channels: 1, data: applyWindow(modality, window, photometric === 'MONOCHROME1'), window };
}

interface PixelLayout {
  readonly rows: number;
  readonly columns: number;
  readonly samples: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly signed: boolean;
  readonly planar: boolean;
  /** Native YBR_FULL_422: two pixels share one Cb and one Cr (Y1 Y2 Cb Cr), 2 samples a pixel. */
  readonly subsampled: boolean;
}

/** One frame of native (uncompressed) pixel data as numbers, samples interleaved. */
function nativeFrame(data: DataSet, element: Element, frame: number, layout: PixelLayout, bigEndian: boolean): Float64Array {
  const { rows, columns, samples, bitsAllocated } = layout;
  const count = rows * columns * (layout.subsampled ? 2 : samples);
  if (bitsAllocated === 1) {
    const bitOffset = frame * count;
    const out = new Float64Array(count);
    if (element.dataOffset + Math.ceil((bitOffset + count) / 8) > data.byteArray.length)
      throw new RangeError('the pixel data ends before the frame does (truncated file)');
    for (let i = 0; i < count; i++) {
      const bit = bitOffset + i;
      out[i] = (data.byteArray[element.dataOffset + (bit >> 3)]! >> (bit & 7)) & 1;
    }
    return out;
  }
  const bytesPerSample = bitsAllocated / 8;
  const frameBytes = count * bytesPerSample;
  const start = element.dataOffset + frame * frameBytes;
  if (start + frameBytes > data.byteArray.length || (frame + 1) * frameBytes > element.length)
    throw new RangeError('the pixel data ends before the frame does (truncated file)');
  const bytes = data.byteArray.subarray(start, start + frameBytes);
  const values = samplesOf(bytes, count, layout, bigEndian);
  return layout.planar && samples === 3 && !layout.subsampled ? interleave(values, rows * columns) : values;
}

/** Little- (or big-) endian samples of `bitsAllocated` bits, masked to `bitsStored` and sign-extended when signed. */
function samplesOf(bytes: Uint8Array, count: number, layout: PixelLayout, bigEndian = false): Float64Array {
  const { bitsAllocated, bitsStored, signed } = layout;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bytesPerSample = bitsAllocated / 8;
  if (![1, 2, 4].includes(bytesPerSample)) throw new RangeError(`Bits Allocated ${bitsAllocated} is not 8, 16 or 32`);
  if (bytes.length < count * bytesPerSample) throw new RangeError(`decoded ${bytes.length} bytes, expected ${count * bytesPerSample}`);
  const out = new Float64Array(count);
  const mask = bitsStored >= 32 ? 0xffffffff : 2 ** bitsStored - 1;
  const signBit = 2 ** (bitsStored - 1);
  for (let i = 0; i < count; i++) {
    const raw = bytesPerSample === 1 ? view.getUint8(i) : bytesPerSample === 2 ? view.getUint16(2 * i, !bigEndian) : view.getUint32(4 * i, !bigEndian);
    const stored = bitsStored >= 32 ? raw : raw % (mask + 1);
    out[i] = signed && stored >= signBit ? stored - 2 * signBit : stored;
  }
  return out;
}

/** [S planes of N] → [N pixels of S]. */
function interleave(planar: Float64Array, pixels: number): Float64Array {
  const samples = planar.length / pixels;
  const out = new Float64Array(planar.length);
  for (let p = 0; p < pixels; p++) for (let s = 0; s < samples; s++) out[p * samples + s] = planar[s * pixels + p]!;
  return out;
}

/** The encoded bytes of one frame of encapsulated pixel data. */
function encapsulatedFrame(data: DataSet, element: Element, frame: number, frames: number): Uint8Array {
  const fragments = element.fragments ?? [];
  if (fragments.length === 0) throw new RangeError('encapsulated pixel data without fragments');
  if (frames === 1) return dicomParser.readEncapsulatedPixelDataFromFragments(data, element, 0, fragments.length);
  if ((element.basicOffsetTable ?? []).length === 0 && fragments.length === frames)
    return dicomParser.readEncapsulatedPixelDataFromFragments(data, element, frame, 1);
  const table = (element.basicOffsetTable ?? []).length > 0 ? element.basicOffsetTable : dicomParser.createJPEGBasicOffsetTable(data, element);
  return dicomParser.readEncapsulatedImageFrame(data, element, frame, table);
}

/** RLE, JPEG Lossless, JPEG-LS and JPEG 2000 frames as numbers, samples interleaved. */
async function decodeCompressed(syntax: string, encoded: Uint8Array, pixels: number, layout: PixelLayout): Promise<Float64Array> {
  const { samples, bitsAllocated } = layout;
  if (syntax === '1.2.840.10008.1.2.5') {
    const bytes = decodeRleFrame(encoded, pixels, samples, bitsAllocated / 8);
    return samplesOf(bytes, pixels * samples, layout);
  }
  if (syntax === '1.2.840.10008.1.2.4.57' || syntax === '1.2.840.10008.1.2.4.70') {
    const decoder = await jpegLosslessDecoder();
    const decoded = new Uint8Array(decoder.decode(encoded.buffer, encoded.byteOffset, encoded.length));
    return samplesOf(decoded, pixels * samples, { ...layout, bitsAllocated: decoded.length >= 2 * pixels * samples ? 16 : 8 });
  }
  const decoder = syntax.startsWith('1.2.840.10008.1.2.4.8') ? await jpegLsDecoder() : await jpeg2000Decoder();
  try {
    decoder.getEncodedBuffer(encoded.length).set(encoded);
    decoder.decode();
    const info = decoder.getFrameInfo();
    const decoded = decoder.getDecodedBuffer().slice();
    const bits = info.bitsPerSample > 8 ? 16 : 8;
    return samplesOf(decoded, pixels * samples, {
      ...layout,
      bitsAllocated: bits,
      bitsStored: Math.min(layout.bitsStored, bits),
      signed: info.isSigned ?? layout.signed,
    });
  } finally {
    decoder.delete();
  }
}

/** Colour samples (RGB, YBR_FULL, YBR_FULL_422, YBR_RCT/ICT already converted by their codec) as 8-bit RGB. */
function colourToRgb(values: Float64Array, pixels: number, photometric: string, bitsStored: number): Uint8Array {
  const scale = bitsStored > 8 ? 255 / (2 ** bitsStored - 1) : 1;
  const out = new Uint8Array(pixels * 3);
  const clamp = (value: number): number => Math.round(Math.min(255, Math.max(0, value)));
  if (photometric === 'YBR_FULL' || photometric === 'YBR_FULL_422') {
    const sub = photometric === 'YBR_FULL_422' && values.length === pixels * 2; // Y1 Y2 Cb Cr per pixel pair
    for (let p = 0; p < pixels; p++) {
      let y: number;
      let cb: number;
      let cr: number;
      if (sub) {
        const pair = Math.floor(p / 2) * 4;
        y = values[pair + (p % 2)]!;
        cb = values[pair + 2]!;
        cr = values[pair + 3]!;
      } else {
        [y, cb, cr] = [values[3 * p]!, values[3 * p + 1]!, values[3 * p + 2]!];
      }
      out[3 * p] = clamp(y + 1.402 * (cr - 128));
      out[3 * p + 1] = clamp(y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128));
      out[3 * p + 2] = clamp(y + 1.772 * (cb - 128));
    }
    return out;
  }
  for (let i = 0; i < pixels * 3; i++) out[i] = clamp(values[i]! * scale);
  return out;
}

function chooseWindow(window: DicomWindow, data: DataSet, values: Float64Array): NonNullable<DicomImage['window']> {
  if (typeof window === 'object') return { ...window, source: 'explicit' };
  if (window !== 'file' && window !== 'range') return { ...windowPresets[window], source: 'preset' };
  const center = data.floatString('x00281050');
  const width = data.floatString('x00281051');
  if (window === 'file' && center !== undefined && width !== undefined && width >= 1) return { center, width, source: 'file' };
  return { ...rangeWindow(values), source: 'range' };
}

/** Deflated Explicit VR Little Endian: the data set after the meta header is raw DEFLATE. */
function inflate(bytes: Uint8Array, position: number): Uint8Array {
  const inflated = inflateRawSync(bytes.subarray(position));
  const whole = new Uint8Array(position + inflated.length);
  whole.set(bytes.subarray(0, position));
  whole.set(inflated, position);
  return whole;
}

/** dicom-parser throws strings or objects with an `exception` field; make a sentence of either. */
function parserMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  const exception = (error as { exception?: unknown } | undefined)?.exception;
  return typeof exception === 'string' ? `${exception} (the file is truncated or malformed)` : 'the file is truncated or malformed';
}
