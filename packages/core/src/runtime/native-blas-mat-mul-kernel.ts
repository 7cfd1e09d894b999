import * as tf from '@tensorflow/tfjs-core';
import type { NativeBlas } from '@umd/native-blas';

import { floatOffsetOf, WasmHeap, type WasmBackendLike } from './wasm-heap.js';

/**
 * A wasm `BatchMatMul` kernel that runs every float32 matMul through the system BLAS (`cblas_sgemm` via
 * `@umd/native-blas`), reading the inputs and writing the output in place on the wasm heap: no copies, both transpose
 * flags handled by the BLAS itself, and a batched product (attention) issued as one call over the batch.
 *
 * Batch dimensions broadcast fully: equal batches or a single matrix on one side run as one call (a stride-0
 * operand); anything else (e.g. [2, 1, …] × [1, 3, …], which tfjs-wasm 4.22 and the cpu backend get wrong) as one
 * call per output matrix. Non-float32 inputs go to `fallback`, which also produces tfjs' own error for mismatched
 * inner dimensions.
 *
 * Values equal the wasm kernel's up to float32 summation order.
 *
 * @param blas an opened BLAS (`loadNativeBlas()`)
 * @param fallback the kernel to delegate the cases above to (the backend's own, or the plain-layout wrapper)
 */
export function nativeBlasMatMulKernel(blas: NativeBlas, fallback: tf.KernelConfig): tf.KernelConfig {
  const heap = new WasmHeap();
  return {
    kernelName: tf.BatchMatMul,
    backendName: fallback.backendName,
    ...(fallback.setupFunc ? { setupFunc: fallback.setupFunc } : {}),
    ...(fallback.disposeFunc ? { disposeFunc: fallback.disposeFunc } : {}),
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
      if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return fallback.kernelFunc(args);
      const rankA = a.shape.length;
      const rankB = b.shape.length;
      const m = a.shape[transposeA ? rankA - 1 : rankA - 2]!;
      const k = a.shape[transposeA ? rankA - 2 : rankA - 1]!;
      const kB = b.shape[transposeB ? rankB - 1 : rankB - 2]!;
      const n = b.shape[transposeB ? rankB - 2 : rankB - 1]!;
      if (k !== kB) return fallback.kernelFunc(args);
      const outerA = a.shape.slice(0, -2);
      const outerB = b.shape.slice(0, -2);
      const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
      const batch = tf.util.sizeFromShape(outer);
      const batchA = tf.util.sizeFromShape(outerA);
      const batchB = tf.util.sizeFromShape(outerB);
      const backend = args.backend as unknown as WasmBackendLike;
      const out = backend.makeOutput([...outer, m, n], 'float32');
      const values = heap.float32(backend);
      const gemm = { transposeA, transposeB, m, n, k, aStride: m * k, bStride: k * n, cStride: m * n };
      const aOffset = floatOffsetOf(backend, a);
      const bOffset = floatOffsetOf(backend, b);
      const cOffset = floatOffsetOf(backend, out);
      if ((batchA === batch || batchA === 1) && (batchB === batch || batchB === 1)) {
        const strides = { aStride: batchA === 1 ? 0 : gemm.aStride, bStride: batchB === 1 ? 0 : gemm.bStride };
        blas.sgemmBatched(values, { ...gemm, ...strides, batch, aOffset, bOffset, cOffset });
        return out;
      }
      const aIndex = broadcastIndex(outerA, outer);
      const bIndex = broadcastIndex(outerB, outer);
      for (let i = 0; i < batch; i++) {
        const offsets = { aOffset: aOffset + aIndex(i) * gemm.aStride, bOffset: bOffset + bIndex(i) * gemm.bStride, cOffset: cOffset + i * gemm.cStride };
        blas.sgemmBatched(values, { ...gemm, ...offsets, batch: 1 });
      }
      return out;
    },
  };
}

/** Maps a flat index into the broadcast batch shape `outer` to the flat index into `own` (right-aligned, size-1 dims repeat). */
function broadcastIndex(own: readonly number[], outer: readonly number[]): (index: number) => number {
  const ownStrides = tf.util.computeStrides(own as number[]);
  const shift = outer.length - own.length;
  return (index) => {
    let flat = 0;
    let rest = index;
    for (let d = outer.length - 1; d >= 0; d--) {
      const position = rest % outer[d]!;
      rest = Math.floor(rest / outer[d]!);
      const ownDim = d - shift;
      if (ownDim >= 0 && own[ownDim] !== 1) flat += position * (ownDim === own.length - 1 ? 1 : ownStrides[ownDim]!);
    }
    return flat;
  };
}
