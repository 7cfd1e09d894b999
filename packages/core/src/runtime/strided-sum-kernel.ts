import * as tf from '@tensorflow/tfjs-core';
import type { NativeBlas } from '@umd/native-blas';

import { floatOffsetOf, WasmHeap, type WasmBackendLike } from './wasm-heap.js';

/**
 * Wraps the wasm backend's `Sum` kernel so that a float32 sum over a contiguous block of axes that excludes the last
 * one — every bias and LayerNorm gradient, [B·T, D] -> [D] — is summed in place on the wasm heap, row by row, instead
 * of first transposing the whole input (tfjs-wasm 4.22 only reduces innermost axes and transposes everything else:
 * 19% of a transformer block's training step once its matMuls run on BLAS).
 *
 * Viewed as x [A, R, C] with the reduced axes in R: out [A, C] = Σ_r x[a, r, c], accumulated in float64, so results
 * match the wasm kernel to float32 rounding (more accurately, not less). The loop runs in the native addon when
 * `blas` is given (vectorised), else in JavaScript. Other sums go to the original kernel.
 *
 * @param original the backend's own `Sum` kernel
 * @param blas the native addon, or undefined for the JavaScript loop
 */
export function stridedSumKernel(original: tf.KernelConfig, blas?: Pick<NativeBlas, 'sumMiddle'>): tf.KernelConfig {
  const heap = new WasmHeap();
  let accumulator = new Float64Array(0);
  const sumInJs = (values: Float32Array, a: number, r: number, c: number, input: number, output: number): void => {
    if (accumulator.length < c) accumulator = new Float64Array(c);
    for (let i = 0; i < a; i++) {
      accumulator.fill(0, 0, c);
      let row = input + i * r * c;
      for (let j = 0; j < r; j++, row += c) {
        for (let k = 0; k < c; k++) accumulator[k]! += values[row + k]!;
      }
      const target = output + i * c;
      for (let k = 0; k < c; k++) values[target + k] = accumulator[k]!;
    }
  };
  return {
    kernelName: tf.Sum,
    backendName: original.backendName,
    ...(original.setupFunc ? { setupFunc: original.setupFunc } : {}),
    ...(original.disposeFunc ? { disposeFunc: original.disposeFunc } : {}),
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
      const rank = x.shape.length;
      if (x.dtype !== 'float32' || rank < 2) return original.kernelFunc(args);
      const axes = [...new Set(tf.util.parseAxisParam(axis, x.shape))].sort((p, q) => p - q);
      const first = axes[0];
      const last = axes[axes.length - 1];
      if (first === undefined || last === undefined || last === rank - 1 || last - first !== axes.length - 1) return original.kernelFunc(args);

      const a = tf.util.sizeFromShape(x.shape.slice(0, first));
      const r = tf.util.sizeFromShape(x.shape.slice(first, last + 1));
      const c = tf.util.sizeFromShape(x.shape.slice(last + 1));
      const kept = x.shape.map((size, i) => (i >= first && i <= last ? 1 : size));
      const backend = args.backend as unknown as WasmBackendLike;
      const out = backend.makeOutput(keepDims ? kept : kept.filter((_, i) => i < first || i > last), 'float32');
      const values = heap.float32(backend);
      const inOffset = floatOffsetOf(backend, x);
      const outOffset = floatOffsetOf(backend, out);
      if (blas) blas.sumMiddle(values, { a, r, c, inOffset, outOffset });
      else sumInJs(values, a, r, c, inOffset, outOffset);
      return out;
    },
  };
}
