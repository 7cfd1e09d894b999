import * as tf from '@tensorflow/tfjs-core';

/**
 * Fixed 2-D sine-cosine position embeddings (MAE): half of the channels encode the row, half the column, each as
 * sin/cos at geometrically spaced frequencies.
 *
 * @returns [gh·gw, D] float32, rows in raster order (row-major over the patch grid); the caller owns it
 */
export function sinCosPositionEmbedding(gridHeight: number, gridWidth: number, dim: number): tf.Tensor2D {
  if (dim % 4 !== 0) throw new RangeError(`sin-cos position embeddings need a width divisible by 4, got ${dim}.`);
  const quarter = dim / 4;
  const values = new Float32Array(gridHeight * gridWidth * dim);
  for (let row = 0; row < gridHeight; row++) {
    for (let col = 0; col < gridWidth; col++) {
      const offset = (row * gridWidth + col) * dim;
      for (let i = 0; i < quarter; i++) {
        const omega = 1 / 10000 ** (i / quarter);
        // MAE's layout: [sin(h), cos(h), sin(w), cos(w)] (h = row, w = column)
        values[offset + i] = Math.sin(row * omega);
        values[offset + quarter + i] = Math.cos(row * omega);
        values[offset + 2 * quarter + i] = Math.sin(col * omega);
        values[offset + 3 * quarter + i] = Math.cos(col * omega);
      }
    }
  }
  return tf.tensor2d(values, [gridHeight * gridWidth, dim]);
}

/**
 * Resizes a learned grid of position embeddings to another patch grid (bilinear, corners aligned as in timm's
 * `resample_abs_pos_embed`), so a model trained at one image size runs at another.
 *
 * @param grid [g·g, D] embeddings of a square g×g grid (raster order)
 * @returns [gh·gw, D]; differentiable with respect to `grid`
 */
export function interpolatePositionGrid(grid: tf.Tensor2D, gridHeight: number, gridWidth: number): tf.Tensor2D {
  return tf.tidy('encoders/interpolate-position-grid', () => {
    const [count, dim] = grid.shape;
    const side = Math.round(Math.sqrt(count));
    if (side * side !== count) throw new RangeError(`position grid of ${count} entries is not square.`);
    if (side === gridHeight && side === gridWidth) return tf.clone(grid);
    const image = tf.reshape(grid, [1, side, side, dim]);
    const resized = tf.image.resizeBilinear(image as tf.Tensor4D, [gridHeight, gridWidth], true);
    return tf.reshape(resized, [gridHeight * gridWidth, dim]);
  });
}
