import { InvalidConfigError } from '@umd/core';

import type { ImagePipeline } from '../image/image-pipeline.js';
import type { RandomSource } from '../image/random-source.js';
import type { ImageSource } from '../sample.js';
import type { ShapedArray } from './shaped-array.js';

/** Options of {@link loadImageBatch}. */
export interface LoadImageBatchOptions {
  /** One random source per image, for random crops (e.g. `CollateContext.randoms`). */
  readonly randoms?: readonly RandomSource[];
  /**
   * Images decoded at once. Default 4 (libuv's default thread-pool size, where sharp runs; more helps only with
   * `UV_THREADPOOL_SIZE` raised).
   */
  readonly concurrency?: number;
}

/**
 * Loads images through `pipeline` into one batch buffer, several at a time.
 *
 * @returns [B, H, W, C] float32, row-major (NHWC), B = sources.length
 * @throws ImageDecodeError naming the first file that fails
 */
export async function loadImageBatch(
  pipeline: ImagePipeline,
  sources: readonly ImageSource[],
  options: LoadImageBatchOptions = {},
): Promise<ShapedArray<Float32Array>> {
  return fillBatch(
    pipeline,
    sources,
    options,
    (length) => new Float32Array(length),
    (source, load) => pipeline.load(source, load),
  );
}

/**
 * {@link loadImageBatch} as 8-bit pixels ({@link ImagePipeline.loadPixels}): the same crops, not normalised, a quarter
 * of the bytes. Normalise on the tensor side with `normalizePixels(tensor, pipeline.normalization)`.
 *
 * @returns [B, H, W, C] uint8, row-major (NHWC), B = sources.length
 * @throws ImageDecodeError naming the first file that fails
 */
export async function loadPixelBatch(
  pipeline: ImagePipeline,
  sources: readonly ImageSource[],
  options: LoadImageBatchOptions = {},
): Promise<ShapedArray<Uint8Array>> {
  return fillBatch(
    pipeline,
    sources,
    options,
    (length) => new Uint8Array(length),
    (source, load) => pipeline.loadPixels(source, load),
  );
}

/** One batch buffer [B, H, W, C] filled image by image through `load`, `concurrency` images at a time. */
async function fillBatch<T extends Float32Array | Uint8Array>(
  pipeline: ImagePipeline,
  sources: readonly ImageSource[],
  options: LoadImageBatchOptions,
  allocate: (length: number) => T,
  load: (source: ImageSource, into: { out: T; random?: RandomSource }) => Promise<unknown>,
): Promise<ShapedArray<T>> {
  const { randoms, concurrency = 4 } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new InvalidConfigError('concurrency', concurrency, 'a positive integer');
  if (randoms && randoms.length !== sources.length) {
    throw new InvalidConfigError('randoms', randoms.length, `one random source per image (${sources.length})`);
  }
  const [H, W, C] = pipeline.outputShape;
  const imageSize = H * W * C;
  const data = allocate(sources.length * imageSize);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < sources.length) {
      const b = next++;
      const random = randoms?.[b];
      const out = data.subarray(b * imageSize, (b + 1) * imageSize) as T;
      await load(sources[b]!, random ? { random, out } : { out });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, sources.length) }, worker));
  return { data, shape: [sources.length, H, W, C] };
}
