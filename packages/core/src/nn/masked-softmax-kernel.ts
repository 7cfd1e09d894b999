import * as tf from '@tensorflow/tfjs-core';
import type { NativeBlas } from '@umd/native-blas';

import { floatOffsetOf, WasmHeap, type WasmBackendLike } from '../runtime/wasm-heap.js';

/**
 * Fused masked softmax over the last axis: inputs `x` [..., S] and optionally `mask` [M, S] (1 = kept, 0 = weight 0;
 * row r of x reads mask row ⌊r / rowsPerMask⌋); attr `rowsPerMask` -> y. One kernel instead of the mask's bias
 * (cast, sub, mul, reshape, add) and the softmax.
 */
export const maskedSoftmaxKernelName = 'UmdMaskedSoftmax';
/** Its gradient: inputs `dy`, `y` -> dx = y·(dy − Σ dy·y), one kernel instead of four. */
export const softmaxGradKernelName = 'UmdSoftmaxGrad';

/**
 * The fused softmax kernels for `wasm`, in the native addon's loops (its exp, ~1e-7 relative; sums in float64).
 * Without the addon there are none: attention's softmax stays op by op.
 *
 * @param blas the native addon
 */
export function maskedSoftmaxKernels(blas: Pick<NativeBlas, 'softmax'>): tf.KernelConfig[] {
  const heap = new WasmHeap();
  const forward: tf.KernelConfig = {
    kernelName: maskedSoftmaxKernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, mask } = inputs as { x: tf.TensorInfo; mask?: tf.TensorInfo };
      const wasmBackend = backend as unknown as WasmBackendLike;
      const out = wasmBackend.makeOutput([...x.shape], 'float32');
      const S = x.shape.at(-1)!;
      const rows = tf.util.sizeFromShape(x.shape) / S;
      const at = (info: tf.TensorInfo): number => floatOffsetOf(wasmBackend, info);
      blas.softmax('forward', heap.float32(wasmBackend), {
        rows,
        s: S,
        a: at(x),
        ...(mask ? { b: at(mask), rowsPerMask: (attrs as { rowsPerMask: number }).rowsPerMask } : {}),
        out: at(out),
      });
      return out;
    },
  };
  const gradient: tf.KernelConfig = {
    kernelName: softmaxGradKernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const { dy, y } = inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
      const wasmBackend = backend as unknown as WasmBackendLike;
      const out = wasmBackend.makeOutput([...y.shape], 'float32');
      const S = y.shape.at(-1)!;
      const at = (info: tf.TensorInfo): number => floatOffsetOf(wasmBackend, info);
      blas.softmax('gradient', heap.float32(wasmBackend), { rows: tf.util.sizeFromShape(y.shape) / S, s: S, a: at(dy), b: at(y), out: at(out) });
      return out;
    },
  };
  return [forward, gradient];
}

/** The fused kernel's gradient: dx by {@link softmaxGradKernelName} from the saved output; the mask gets none (zeros). */
export const maskedSoftmaxGradient: tf.GradConfig = {
  kernelName: maskedSoftmaxKernelName,
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [y] = saved as [tf.Tensor];
    return {
      x: () => tf.engine().runKernel(softmaxGradKernelName, { dy: dy as tf.Tensor, y }) as tf.Tensor,
      mask: () => tf.zeros((attrs as { maskShape: number[] }).maskShape),
    };
  },
};

/** Whether the fused kernel serves the current backend (registered by `initRuntime` on wasm with the native addon). */
export function fusedMaskedSoftmaxAvailable(): boolean {
  return tf.getKernel(maskedSoftmaxKernelName, tf.getBackend()) !== undefined;
}

/**
 * Softmax over the last axis by the fused kernel, positions where `keyMask` is 0 left out: x [B, ..., S] float32,
 * keyMask [B, S] (1 = kept) -> [B, ..., S]. Call only where {@link fusedMaskedSoftmaxAvailable}.
 */
export function fusedMaskedSoftmax(x: tf.Tensor, keyMask?: tf.Tensor): tf.Tensor {
  if (!keyMask) return tf.engine().runKernel(maskedSoftmaxKernelName, { x }, { rowsPerMask: 1 }) as tf.Tensor;
  const S = x.shape.at(-1)!;
  const rows = x.size / S;
  const mask = keyMask.dtype === 'float32' ? keyMask : tf.cast(keyMask, 'float32');
  return tf.engine().runKernel(maskedSoftmaxKernelName, { x, mask }, { rowsPerMask: rows / (mask.size / S), maskShape: [...mask.shape] }) as tf.Tensor;
}
