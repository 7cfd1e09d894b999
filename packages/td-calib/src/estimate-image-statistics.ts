import { InvalidConfigError, SeededRandom } from '@umd/core';
import { createImagePipeline, type ImageNormalization, type ImageSource, type Sample } from '@umd/data';

import { assertAllowedSplits } from './assert-allowed-splits.js';

/** Options of {@link estimateImageStatistics}. */
export interface EstimateImageStatisticsOptions {
  /** Side of the images after resize and centre crop (the model's `vision.imageSize`). */
  readonly size: number;
  /** 1 = grey, 3 = RGB (the model's `vision.channels`). */
  readonly channels: 1 | 3;
  /** Use at most this many distinct images, chosen at random with `seed`. Default: all. */
  readonly maxImages?: number;
  /** Seeds the choice of images under `maxImages`. Default 0. */
  readonly seed?: number;
  /** The image pipeline's on-disk cache (shared with training: the same resized bytes). */
  readonly cacheDir?: string;
  /** Splits the samples may come from. Default `['train']`. */
  readonly allowedSplits?: readonly string[];
  /** Images decoded at once. Default 4. */
  readonly concurrency?: number;
}

/** Per-channel statistics of a set of images, ready for `ImagePipelineConfig.normalization`. */
export type ImageStatistics = ImageNormalization & {
  /** Distinct images measured. */
  readonly images: number;
};

/**
 * The per-channel mean and standard deviation (population) of the downstream TRAINING images, on [0, 1] values after
 * the pipeline's resize and centre crop to `size` — what `ImagePipelineConfig.normalization` takes. Each distinct
 * image counts once (a VQA image with many questions is not weighted by its questions); images stream through the
 * pipeline a few at a time, and sums are kept in float64 (exact for 8-bit pixels).
 *
 * @throws CalibrationDataError when a sample's split is not allowed (before any image is read)
 * @throws InvalidConfigError for no samples, a bad option, or images that are one constant value (std 0)
 * @throws ImageDecodeError (from @umd/data) naming an unreadable image
 */
export async function estimateImageStatistics(samples: readonly Sample[], options: EstimateImageStatisticsOptions): Promise<ImageStatistics> {
  assertAllowedSplits(samples, options.allowedSplits);
  const { size, channels, seed = 0, concurrency = 4 } = options;
  if (options.maxImages !== undefined && !(Number.isInteger(options.maxImages) && options.maxImages > 0)) {
    throw new InvalidConfigError('maxImages', options.maxImages, 'a positive integer (or undefined for every image)');
  }
  if (!(Number.isInteger(concurrency) && concurrency > 0)) throw new InvalidConfigError('concurrency', concurrency, 'a positive integer');
  const distinct = distinctImages(samples);
  if (distinct.length === 0) throw new InvalidConfigError('samples', samples.length, 'at least one training sample');
  const chosen = chooseImages(distinct, options.maxImages, seed);

  const pipeline = createImagePipeline({ size, channels, crop: { kind: 'centre' }, ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}) });
  const sum = new Float64Array(channels);
  const sumOfSquares = new Float64Array(channels);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < chosen.length) {
      const source = chosen[next++]!;
      const { data } = pipeline.cropImage(await pipeline.loadResized(source), undefined); // [size, size, C] uint8
      for (let i = 0; i < data.length; i += channels) {
        for (let c = 0; c < channels; c++) {
          const value = data[i + c]!;
          sum[c] = sum[c]! + value;
          sumOfSquares[c] = sumOfSquares[c]! + value * value;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, chosen.length) }, worker));

  const pixels = chosen.length * size * size;
  const mean = Array.from(sum, (total) => total / pixels / 255);
  const std = Array.from(sumOfSquares, (total, c) => Math.sqrt(Math.max(0, total / pixels / 255 ** 2 - mean[c]! ** 2)));
  if (std.some((value) => !(value > 0))) {
    throw new InvalidConfigError('samples', `${chosen.length} images of one constant value`, 'images whose pixels vary (std > 0 in every channel)');
  }
  return { mean, std, images: chosen.length };
}

/** One source per distinct image (`dataset:imageId`), in first-seen order. */
function distinctImages(samples: readonly Sample[]): ImageSource[] {
  const seen = new Map<string, ImageSource>();
  for (const sample of samples) {
    const key = `${sample.dataset}:${sample.imageId}`;
    if (!seen.has(key)) seen.set(key, sample.image);
  }
  return [...seen.values()];
}

/** All of them, or `maxImages` drawn without replacement by a seeded permutation (kept in their original order). */
function chooseImages(images: readonly ImageSource[], maxImages: number | undefined, seed: number): readonly ImageSource[] {
  if (maxImages === undefined || maxImages >= images.length) return images;
  const picked = new SeededRandom(`td-calib/statistics:${seed}`).permutation(images.length).subarray(0, maxImages);
  return Array.from(picked)
    .sort((a, b) => a - b)
    .map((index) => images[index]!);
}
