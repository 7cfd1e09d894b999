import { availableParallelism } from 'node:os';

import { decodeImage, defaultMaxInputPixels } from '../image/decode-image.js';
import { ImageDecodeError, type ImageDecodeReason } from '../image/image-decode-error.js';
import type { ImageSource, Sample } from '../sample.js';
import type { DatasetLoad } from './dataset-load.js';

/** An image of a dataset that did not decode. */
export interface ImageDecodeFailure {
  /** The file (or in-memory key). */
  readonly file: string;
  /** The splits whose samples refer to it. */
  readonly splits: readonly string[];
  readonly reason: ImageDecodeReason;
  readonly message: string;
}

/** What {@link decodeDatasetImages} found. */
export interface DatasetDecodeReport {
  /** Distinct images referred to by any split. */
  readonly images: number;
  readonly decoded: number;
  /** In the order of first reference (split order, then file order). */
  readonly failures: readonly ImageDecodeFailure[];
}

/** Options of {@link decodeDatasetImages}. */
export interface DecodeDatasetImagesOptions {
  /** Images decoded at once. Default: the machine's available parallelism. */
  readonly concurrency?: number;
  /** Decompression-bomb guard, as in training. Default {@link defaultMaxInputPixels}. */
  readonly maxInputPixels?: number;
  /** Called after every image: how many are done of how many. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Decodes every distinct image a dataset's splits refer to, as training would (sharp, EXIF orientation, warnings are
 * errors, the pixel guard), so a truncated JPEG or a missing file is found before a run rather than an hour into it.
 * Pixels are dropped as soon as they decode. Failures are collected, never thrown.
 */
export async function decodeDatasetImages(load: Pick<DatasetLoad, 'splits'>, options: DecodeDatasetImagesOptions = {}): Promise<DatasetDecodeReport> {
  const images = new Map<string, { source: ImageSource; splits: string[] }>();
  for (const [split, samples] of Object.entries(load.splits)) {
    for (const sample of samples as readonly Sample[]) {
      const key = sample.image.kind === 'file' ? sample.image.path : sample.image.key;
      const entry = images.get(key);
      if (!entry) images.set(key, { source: sample.image, splits: [split] });
      else if (!entry.splits.includes(split)) entry.splits.push(split);
    }
  }
  const queue = [...images];
  const failed = new Map<string, ImageDecodeFailure>();
  const decodeOptions = { channels: 1, maxInputPixels: options.maxInputPixels ?? defaultMaxInputPixels } as const;
  let done = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < queue.length) {
      const [key, { source, splits }] = queue[next++]!;
      try {
        await decodeImage(source, decodeOptions);
      } catch (error) {
        if (!(error instanceof ImageDecodeError)) throw error;
        failed.set(key, { file: key, splits, reason: error.reason, message: error.message });
      }
      done += 1;
      options.onProgress?.(done, queue.length);
    }
  };
  const concurrency = Math.max(1, Math.min(options.concurrency ?? availableParallelism(), queue.length));
  await Promise.all(Array.from({ length: concurrency }, worker));
  const failures = queue.flatMap(([key]) => (failed.has(key) ? [failed.get(key)!] : []));
  return { images: queue.length, decoded: queue.length - failures.length, failures };
}
