import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from '@umd/core';

import { validateNormalization, type ImageNormalization } from './normalize-image.js';

/**
 * The tensor-side counterpart of `normalizeImage`: 8-bit pixels (int32 or float32 values 0-255, e.g. a
 * `loadPixelBatch` batch) to `(value / 255 - mean[c]) / std[c]` per channel, as one multiply and one add broadcast over
 * the last axis. Equal to `normalizeImage` up to float32 rounding (within 1e-6 here).
 *
 * @param pixels [..., C] with C = mean.length; borrowed
 * @returns float32 of the same shape (the caller owns it)
 * @throws ShapeMismatchError when the last axis is not C; InvalidConfigError for a malformed normalisation
 */
export function normalizePixels(pixels: tf.Tensor, normalization: ImageNormalization): tf.Tensor {
  const channels = pixels.shape.at(-1);
  if (channels !== 1 && channels !== 3) throw new ShapeMismatchError('normalizePixels(pixels)', ['...', 'C ∈ {1, 3}'], pixels.shape);
  validateNormalization(normalization, channels);
  const scale = normalization.std.map((std) => 1 / (255 * std));
  const shift = normalization.mean.map((mean, c) => -mean / normalization.std[c]!);
  return tf.tidy(() => tf.add(tf.mul(tf.cast(pixels, 'float32'), tf.tensor1d(scale)), tf.tensor1d(shift)));
}
