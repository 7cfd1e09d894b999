import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from '@umd/core';

import type { ShapedArray } from './shaped-array.js';

/** The tensor each {@link ShapedArray} becomes: float32 for Float32Array, int32 for Int32Array. */
export type TensorsOf<T extends Readonly<Record<string, ShapedArray>>> = { [K in keyof T]: tf.Tensor };

/**
 * Makes tensors from plain arrays (e.g. `batchToTensors({ images: batch.images, inputIds: batch.inputIds })`).
 * The data is copied into the backend; the caller owns the returned tensors and disposes them (`tf.dispose(result)`).
 *
 * @param arrays name → { data, shape }; images [B, H, W, C] float32 (NHWC), token arrays [B, T] int32
 * @throws ShapeMismatchError naming the array whose data length does not match its shape (no tensor is left behind)
 */
export function batchToTensors<T extends Readonly<Record<string, ShapedArray>>>(arrays: T): TensorsOf<T> {
  for (const [name, { data, shape }] of Object.entries(arrays)) {
    const size = shape.reduce((product, dimension) => product * dimension, 1);
    if (size !== data.length) {
      throw new ShapeMismatchError(name, shape, [data.length], `data holds ${data.length} values, the shape needs ${size}.`);
    }
  }
  const tensors = {} as Record<string, tf.Tensor>;
  for (const [name, { data, shape }] of Object.entries(arrays)) {
    tensors[name] = tf.tensor(data, [...shape], data instanceof Int32Array ? 'int32' : 'float32');
  }
  return tensors as TensorsOf<T>;
}
