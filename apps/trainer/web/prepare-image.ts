import { defaultMaxInputPixels, dicomTransferSyntaxes, isDicom, normalizeImage, readDicomImage, type DicomWindow, type RawImage } from '@umd/data';
import type { BundleImageBatch, ModelBundleConfig } from '@umd/tasks';
import { imageSize } from 'image-size';

/** A user's image ready for the model, with the 8-bit picture the heat map is drawn over. */
export interface PreparedImage {
  /** [1, S, S, C] normalised, as the bundle's `config.image` says. */
  readonly batch: BundleImageBatch;
  /** The resized, cropped picture (RGBA, S × S) the model saw. */
  readonly picture: ImageData;
  readonly dicom: boolean;
}

/** An input the page cannot use; the message is shown as it is. */
export class PageInputError extends Error {
  override readonly name = 'PageInputError';
}

/**
 * Decodes a dropped or picked file (PNG and JPEG by the browser, DICOM Part 10 by @umd/data's reader), then does what
 * the Node pipeline does: shorter side to the model's size with a centre crop (sharp's `cover` fit; here the canvas's
 * high-quality resampling, so images at another size differ from `umd-train predict` by the resampling only), grey or
 * RGB, the bundle's normalisation.
 *
 * @throws PageInputError naming the file for an image the browser cannot decode or one far too large; ImageDecodeError
 *   (from @umd/data) for a DICOM file it cannot read
 */
export async function prepareImage(
  bytes: Uint8Array,
  name: string,
  image: ModelBundleConfig['image'],
  dicom: { window: DicomWindow; frame: number },
): Promise<PreparedImage> {
  if (bytes.length === 0) throw new PageInputError(`${name}: the file is empty`);
  const source = isDicom(bytes) ? await dicomCanvas(bytes, name, dicom) : await bitmapOf(bytes, name);
  const { size, channels, normalization } = image;
  const canvas = new OffscreenCanvas(size, size);
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  context.fillStyle = '#000'; // transparent pixels become black, as sharp flattens them
  context.fillRect(0, 0, size, size);
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  const width = source.width;
  const height = source.height;
  const side = Math.min(width, height);
  context.drawImage(source, (width - side) / 2, (height - side) / 2, side, side, 0, 0, size, size);
  const picture = context.getImageData(0, 0, size, size);
  const raw: RawImage = { width: size, height: size, channels, data: channels === 1 ? greyOf(picture) : rgbOf(picture) };
  const normalised = normalizeImage(raw, normalization);
  return { batch: { data: normalised.data, shape: [1, size, size, channels] }, picture, dicom: isDicom(bytes) };
}

async function bitmapOf(bytes: Uint8Array, name: string): Promise<ImageBitmap> {
  let dimensions: { width: number; height: number };
  try {
    dimensions = imageSize(bytes);
  } catch {
    throw new PageInputError(`${name}: not an image this page reads (PNG, JPEG or DICOM Part 10)`);
  }
  if (dimensions.width * dimensions.height > defaultMaxInputPixels) {
    throw new PageInputError(
      `${name}: ${dimensions.width} × ${dimensions.height} pixels is more than this page decodes (${defaultMaxInputPixels.toLocaleString('en')} pixels); downscale it first`,
    );
  }
  try {
    return await createImageBitmap(new Blob([bytes as Uint8Array<ArrayBuffer>]));
  } catch (error) {
    throw new PageInputError(`${name}: the browser could not decode it (${(error as Error).message}): a truncated or damaged file?`);
  }
}

/** Transfer syntaxes the page decodes: the uncompressed ones and RLE (the JPEG family needs Node's codecs). */
const pageSyntaxes = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.5']);

/** The transfer syntax UID in a Part 10 file's meta header (group 0002), or undefined when it cannot be read. */
function transferSyntaxOf(bytes: Uint8Array): string | undefined {
  // Group 0002 is explicit VR little endian: tag (4 bytes), VR (2), length (2), value; UI values are short.
  for (let offset = 132; offset + 8 <= bytes.length && offset < 4096;) {
    const group = bytes[offset]! | (bytes[offset + 1]! << 8);
    const element = bytes[offset + 2]! | (bytes[offset + 3]! << 8);
    if (group !== 0x0002) return undefined;
    const vr = String.fromCharCode(bytes[offset + 4]!, bytes[offset + 5]!);
    const long = ['OB', 'OW', 'OF', 'SQ', 'UT', 'UN'].includes(vr);
    const length = long
      ? bytes[offset + 8]! | (bytes[offset + 9]! << 8) | (bytes[offset + 10]! << 16) | (bytes[offset + 11]! << 24)
      : bytes[offset + 6]! | (bytes[offset + 7]! << 8);
    const start = offset + (long ? 12 : 8);
    if (element === 0x0010) return new TextDecoder().decode(bytes.subarray(start, start + length)).replace(/[\0 ]+$/, '');
    offset = start + length;
  }
  return undefined;
}

async function dicomCanvas(bytes: Uint8Array, name: string, options: { window: DicomWindow; frame: number }): Promise<OffscreenCanvas> {
  const syntax = transferSyntaxOf(bytes);
  if (syntax !== undefined && !pageSyntaxes.has(syntax)) {
    const named = dicomTransferSyntaxes[syntax] ?? `transfer syntax ${syntax}`;
    throw new PageInputError(
      `${name}: ${named} pixel data is decoded by \`umd-train predict\` (Node's codecs), not in this page; the page reads uncompressed and RLE DICOM`,
    );
  }
  const image = await readDicomImage(bytes, name, options);
  if (image.width * image.height > defaultMaxInputPixels)
    throw new PageInputError(`${name}: ${image.width} × ${image.height} pixels is more than this page decodes`);
  const canvas = new OffscreenCanvas(image.width, image.height);
  const rgba = new ImageData(image.width, image.height);
  for (let i = 0, o = 0; i < image.data.length; i += image.channels, o += 4) {
    rgba.data[o] = image.data[i]!;
    rgba.data[o + 1] = image.data[i + (image.channels === 3 ? 1 : 0)]!;
    rgba.data[o + 2] = image.data[i + (image.channels === 3 ? 2 : 0)]!;
    rgba.data[o + 3] = 255;
  }
  canvas.getContext('2d')!.putImageData(rgba, 0, 0);
  return canvas;
}

/** Luminance (Rec. 709 weights on the 8-bit values; exact for grey images, where the three channels agree). */
function greyOf(picture: ImageData): Uint8Array {
  const out = new Uint8Array(picture.width * picture.height);
  const { data } = picture;
  for (let i = 0; i < out.length; i++) out[i] = Math.round(0.2126 * data[i * 4]! + 0.7152 * data[i * 4 + 1]! + 0.0722 * data[i * 4 + 2]!);
  return out;
}

function rgbOf(picture: ImageData): Uint8Array {
  const out = new Uint8Array(picture.width * picture.height * 3);
  const { data } = picture;
  for (let i = 0, o = 0; i < data.length; i += 4, o += 3) {
    out[o] = data[i]!;
    out[o + 1] = data[i + 1]!;
    out[o + 2] = data[i + 2]!;
  }
  return out;
}
