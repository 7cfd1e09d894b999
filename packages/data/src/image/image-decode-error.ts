import { UmdError } from '@umd/core';

/** Why an image could not be decoded. */
export type ImageDecodeReason =
  | 'missing'
  | 'unreadable'
  | 'empty'
  | 'corrupt'
  | 'too-many-pixels'
  | 'unrecognized'
  | 'dicom-not-part10'
  | 'dicom-no-pixel-data'
  | 'dicom-unsupported-syntax'
  | 'dicom-frame';

const hints: Record<ImageDecodeReason, string> = {
  missing: 'Check the path (and --data / UMD_DATA_DIR); dataset files are looked up relative to the dataset folder.',
  unreadable: 'Check the file permissions.',
  empty: 'The file has zero bytes: re-download or re-extract the dataset.',
  corrupt: 'The file is truncated or damaged: re-download it, or drop the sample that refers to it.',
  'too-many-pixels': 'The image is larger than `maxInputPixels` allows (a guard against decompression bombs); raise `maxInputPixels` if the file is trusted.',
  unrecognized: 'The bytes are not an image format this reads (JPEG, PNG, WebP, TIFF, DICOM Part 10, ...): the file is damaged, or in another format.',
  'dicom-not-part10': 'Only DICOM Part 10 files (a 128-byte preamble, then "DICM") are read; convert raw data sets with a DICOM toolkit (e.g. dcmconv).',
  'dicom-no-pixel-data': 'The DICOM object holds no image (a structured report, an RT plan, a waveform, ...): give an image object.',
  'dicom-unsupported-syntax': 'Convert the file to an uncompressed transfer syntax with a DICOM toolkit (e.g. `dcmdjpeg` or `gdcmconv --raw`).',
  'dicom-frame': 'Pick a frame that exists (frames are numbered from 0).',
};

/**
 * An image file (or in-memory image) could not be read or decoded. `file` names the file (or the in-memory
 * source's key); `reason` says what went wrong; the original error is the `cause`.
 */
export class ImageDecodeError extends UmdError {
  constructor(
    readonly file: string,
    readonly reason: ImageDecodeReason,
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super({
      name: 'UMD_ImageDecodeError',
      message: `Cannot decode image '${file}' (${reason}): ${detail}. ${hints[reason]}`,
      cause: options.cause,
    });
  }
}
