import * as tf from '@tensorflow/tfjs-core';

import { byteOffsetOf, WasmHeap, type WasmBackendLike } from './wasm-heap.js';

/** Runs shorter than this many bytes are copied by the original kernel (one copyWithin per run would cost more). */
const minimumRunBytes = 64;

/**
 * Wasm `Slice`, `SplitV` and `Concat` kernels that copy blocks in place on the wasm heap, one `copyWithin` (memmove)
 * per contiguous run. tfjs-wasm 4.22's Slice first copies the WHOLE input out of the heap (`readSync`) and then
 * gathers element by element in JavaScript, and its SplitV does that once per part: splitting the fused q/k/v
 * projection of a [16, 64, 768] tensor took 17-50 ms, this takes well under 1 ms. Its Concat makes a typed-array view
 * per row and input (3,072 for that split's gradient: ~6 ms, 6% of the block's training step).
 *
 * Values are copied bit for bit. Strings, and blocks whose contiguous runs are shorter than 64 bytes, go to the
 * original kernels.
 *
 * @param originals the backend's own `Slice`, `SplitV` and `Concat` kernels
 * @returns the replacement kernels: `Slice`, `SplitV`, `Concat`
 */
export function heapSliceKernels(originals: {
  slice: tf.KernelConfig;
  splitV: tf.KernelConfig;
  concat: tf.KernelConfig;
}): [tf.KernelConfig, tf.KernelConfig, tf.KernelConfig] {
  const heap = new WasmHeap();

  /** Copies x[begin : begin + size] into a new tensor, or returns undefined when the original kernel should. */
  const slice = (backend: WasmBackendLike, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo | undefined => {
    if (x.dtype === 'string' || x.dtype === 'complex64') return undefined;
    const rank = x.shape.length;
    const bytesPerElement = tf.util.bytesPerElement(x.dtype);
    // The innermost dimensions taken whole, plus the first partial one, form one contiguous run.
    let partial = rank - 1;
    let run = 1;
    while (partial >= 0 && size[partial] === x.shape[partial]) run *= x.shape[partial--]!;
    if (partial >= 0) run *= size[partial]!;
    const total = tf.util.sizeFromShape(size);
    if (total > 0 && run * bytesPerElement < minimumRunBytes && total !== run) return undefined;

    const out = backend.makeOutput(size, x.dtype);
    if (total === 0) return out;
    const bytes = heap.bytes(backend);
    const strides = [...tf.util.computeStrides(x.shape), 1].map((stride) => stride * bytesPerElement);
    let source = byteOffsetOf(backend, x);
    for (let d = 0; d < rank; d++) source += begin[d]! * strides[d]!;
    let target = byteOffsetOf(backend, out);
    const runBytes = run * bytesPerElement;
    const index = new Array<number>(Math.max(partial, 0)).fill(0);
    for (let copied = 0; copied < total; copied += run) {
      bytes.copyWithin(target, source, source + runBytes);
      target += runBytes;
      // Odometer over the outer (partial - 1 … 0) dimensions.
      for (let d = partial - 1; d >= 0; d--) {
        index[d]! += 1;
        source += strides[d]!;
        if (index[d]! < size[d]!) break;
        source -= index[d]! * strides[d]!;
        index[d] = 0;
      }
    }
    return out;
  };

  const sliceKernel: tf.KernelConfig = {
    kernelName: tf.Slice,
    backendName: originals.slice.backendName,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { begin, size } = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
      const [begin_, size_] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size) as [number[], number[]];
      return slice(args.backend as unknown as WasmBackendLike, x, begin_, size_) ?? originals.slice.kernelFunc(args);
    },
  };

  const splitVKernel: tf.KernelConfig = {
    kernelName: tf.SplitV,
    backendName: originals.splitV.backendName,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
      const backend = args.backend as unknown as WasmBackendLike;
      const splitAxis = tf.util.parseAxisParam(axis, x.shape)[0]!;
      const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, splitAxis);
      const begin = new Array<number>(x.shape.length).fill(0);
      const parts: tf.TensorInfo[] = [];
      for (const part of sizes) {
        const size = [...x.shape];
        size[splitAxis] = part;
        const sliced = slice(backend, x, [...begin], size);
        if (sliced === undefined) {
          for (const done of parts) (backend as unknown as tf.KernelBackend).disposeData(done.dataId);
          return originals.splitV.kernelFunc(args);
        }
        parts.push(sliced);
        begin[splitAxis]! += part;
      }
      return parts;
    },
  };
  const concatKernel: tf.KernelConfig = {
    kernelName: tf.Concat,
    backendName: originals.concat.backendName,
    kernelFunc: (args) => {
      const inputs = Object.values(args.inputs) as tf.TensorInfo[];
      const first = inputs[0];
      if (first === undefined || first.dtype === 'string' || first.dtype === 'complex64') return originals.concat.kernelFunc(args);
      const axis = tf.util.parseAxisParam((args.attrs as unknown as { axis: number }).axis, first.shape)[0]!;
      tf.backend_util.assertParamsConsistent(
        inputs.map((t) => t.shape),
        axis,
      );
      const outShape = tf.backend_util.computeOutShape(
        inputs.map((t) => t.shape),
        axis,
      );
      const bytesPerElement = tf.util.bytesPerElement(first.dtype);
      const parts = inputs.map((t) => ({ tensor: t, bytes: tf.util.sizeFromShape(t.shape.slice(axis)) * bytesPerElement })).filter((part) => part.bytes > 0);
      const rows = tf.util.sizeFromShape(first.shape.slice(0, axis));
      if (parts.some((part) => part.bytes < minimumRunBytes) && rows > 1) return originals.concat.kernelFunc(args);

      const backend = args.backend as unknown as WasmBackendLike;
      const out = backend.makeOutput(outShape, first.dtype);
      if (tf.util.sizeFromShape(outShape) === 0) return out;
      const bytes = heap.bytes(backend);
      const sources = parts.map((part) => byteOffsetOf(backend, part.tensor));
      let target = byteOffsetOf(backend, out);
      for (let row = 0; row < rows; row++) {
        parts.forEach((part, i) => {
          const start = sources[i]! + row * part.bytes;
          bytes.copyWithin(target, start, start + part.bytes);
          target += part.bytes;
        });
      }
      return out;
    },
  };
  return [sliceKernel, splitVKernel, concatKernel];
}
