import * as tf from '@tensorflow/tfjs-core';

/** The slice of the wasm backend's API this kernel uses (tfjs-backend-wasm's `BackendWasm`). */
interface WasmBackendLike {
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/**
 * `UnsortedSegmentSum` for the wasm backend, which lacks it. It is the backward pass of `tf.gather`, so without it an
 * embedding lookup cannot be trained on wasm (the usual workaround, a one-hot matMul over the whole vocabulary, costs
 * B·T·V·D flops). This is a scatter-add in JavaScript over the wasm heap: O(B·T·D) work plus zeroing the output.
 *
 * Semantics (tf.unsortedSegmentSum): out[s, ...] = Σ_{i: ids[i] = s} x[i, ...], for ids of rank ≤ rank(x) whose shape
 * is a prefix of x's; ids outside [0, numSegments) are dropped, as in TensorFlow.
 */
export const unsortedSegmentSumWasmKernel: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
    const { numSegments } = attrs as unknown as { numSegments: number };
    const wasm = backend as unknown as WasmBackendLike;
    const idsRank = segmentIds.shape.length;
    const rows = tf.util.sizeFromShape(segmentIds.shape);
    const rowSize = tf.util.sizeFromShape(x.shape.slice(idsRank));
    const outShape = [numSegments, ...x.shape.slice(idsRank)];
    const out = wasm.makeOutput(outShape, x.dtype);
    // Read inputs after allocating the output: an allocation may grow (and so detach) the wasm heap.
    const values = wasm.readSync(x.dataId) as Float32Array | Int32Array;
    const ids = wasm.readSync(segmentIds.dataId) as Int32Array;
    const target = wasm.typedArrayFromHeap(out) as Float32Array | Int32Array;
    target.fill(0);
    for (let row = 0; row < rows; row++) {
      const segment = ids[row]!;
      if (segment < 0 || segment >= numSegments) continue;
      const from = row * rowSize;
      const to = segment * rowSize;
      for (let j = 0; j < rowSize; j++) target[to + j]! += values[from + j]!;
    }
    return out;
  },
};
