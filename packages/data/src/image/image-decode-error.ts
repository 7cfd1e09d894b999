import { UmdError } from '@umd/core';

/** Why an image could not be decoded. */
export type ImageDecodeReason = 'missing' | 'unreadable' | 'empty' | 'corrupt' | 'too-many-pixels' | 'unrecognized';

const hints: Record<ImageDecodeReason, string> = {
  missing: 'Check the path (and --data / UMD_DATA_DIR); dataset files are looked up relative to the dataset folder.',
  unreadable: 'Check the file permissions.',
  empty: 'The file has zero bytes: re-download or re-extract the dataset.',
  corrupt: 'The file is truncated or damaged: re-download it, or drop the sample that refers to it.',
  'too-many-pixels':
    'The image is larger than `maxInputPixels` allows (a guard against decompression bombs); raise `maxInputPixels` if the file is trusted.',
  unrecognized:
    'The bytes are not an image format sharp reads (JPEG, PNG, WebP, TIFF, ...): the file is damaged, or in another format (DICOM needs converting first).',
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
