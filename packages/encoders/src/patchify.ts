import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from '@umd/core';

/**
 * Cuts images into non-overlapping P×P patches, flattened in (row, column, channel) order — the layout the ViT patch
 * embedding multiplies (equivalent to a stride-P convolution; see `conv-to-patch` in the weight import).
 *
 * @param images [B, H, W, C] (NHWC), H and W multiples of P
 * @returns [B, L, P·P·C] with L = (H/P)·(W/P) in raster order; the caller owns it
 */
export function patchify(images: tf.Tensor, patchSize: number): tf.Tensor3D {
  const [B, H, W, C] = images.shape as [number, number, number, number];
  if (images.rank !== 4 || H % patchSize !== 0 || W % patchSize !== 0) {
    throw new ShapeMismatchError('patchify(images)', ['B', `H (multiple of ${patchSize})`, `W (multiple of ${patchSize})`, 'C'], images.shape);
  }
  const gh = H / patchSize;
  const gw = W / patchSize;
  return tf.tidy('encoders/patchify', () => {
    const grid = tf.reshape(images, [B, gh, patchSize, gw, patchSize, C]); // [B, gh, P, gw, P, C]
    const patches = tf.transpose(grid, [0, 1, 3, 2, 4, 5]); // [B, gh, gw, P, P, C]
    return tf.reshape(patches, [B, gh * gw, patchSize * patchSize * C]) as tf.Tensor3D;
  });
}

/**
 * The inverse of {@link patchify}.
 *
 * @param patches [B, L, P·P·C] with L = gh·gw
 * @returns [B, gh·P, gw·P, C]; the caller owns it
 */
export function unpatchify(patches: tf.Tensor, patchSize: number, gridHeight: number, gridWidth: number, channels: number): tf.Tensor4D {
  const [B, L, F] = patches.shape as [number, number, number];
  if (patches.rank !== 3 || L !== gridHeight * gridWidth || F !== patchSize * patchSize * channels) {
    throw new ShapeMismatchError('unpatchify(patches)', ['B', gridHeight * gridWidth, patchSize * patchSize * channels], patches.shape);
  }
  return tf.tidy('encoders/unpatchify', () => {
    const grid = tf.reshape(patches, [B, gridHeight, gridWidth, patchSize, patchSize, channels]);
    const images = tf.transpose(grid, [0, 1, 3, 2, 4, 5]); // [B, gh, P, gw, P, C]
    return tf.reshape(images, [B, gridHeight * patchSize, gridWidth * patchSize, channels]) as tf.Tensor4D;
  });
}
