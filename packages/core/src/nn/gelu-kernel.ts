import * as tf from '@tensorflow/tfjs-core';
import type { NativeBlas } from '@umd/native-blas';

import { floatOffsetOf, WasmHeap, type WasmBackendLike } from '../runtime/wasm-heap.js';

/** Fused GELU (erf form): input `x` -> y = x·Φ(x), one kernel instead of five. */
export const geluKernelName = 'UmdGelu';
/** Its gradient: inputs `dy`, `x` -> dx = dy·(Φ(x) + x·φ(x)), one kernel instead of about ten. */
export const geluGradKernelName = 'UmdGeluGrad';

/**
 * The fused GELU kernels for `wasm`, in the native addon's vectorised loops (its erf and exp, ~3e-7 of the exact
 * function, as its `Erf`/`Exp` kernels). Without the addon there are none: GELU stays op by op.
 *
 * @param blas the native addon
 */
export function geluKernels(blas: Pick<NativeBlas, 'gelu'>): tf.KernelConfig[] {
  const heap = new WasmHeap();
  const forward: tf.KernelConfig = {
    kernelName: geluKernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const { x } = inputs as { x: tf.TensorInfo };
      const wasmBackend = backend as unknown as WasmBackendLike;
      const out = wasmBackend.makeOutput([...x.shape], 'float32');
      const n = tf.util.sizeFromShape(x.shape);
      blas.gelu('forward', heap.float32(wasmBackend), { n, x: floatOffsetOf(wasmBackend, x), out: floatOffsetOf(wasmBackend, out) });
      return out;
    },
  };
  const gradient: tf.KernelConfig = {
    kernelName: geluGradKernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }) => {
      const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
      const wasmBackend = backend as unknown as WasmBackendLike;
      const out = wasmBackend.makeOutput([...x.shape], 'float32');
      const n = tf.util.sizeFromShape(x.shape);
      const at = (info: tf.TensorInfo): number => floatOffsetOf(wasmBackend, info);
      blas.gelu('gradient', heap.float32(wasmBackend), { n, x: at(x), dy: at(dy), out: at(out) });
      return out;
    },
  };
  return [forward, gradient];
}

/** The fused kernel's gradient: dx by {@link geluGradKernelName}; saves x. */
export const geluGradient: tf.GradConfig = {
  kernelName: geluKernelName,
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [tf.Tensor];
    return { x: () => tf.engine().runKernel(geluGradKernelName, { dy: dy as tf.Tensor, x }) as tf.Tensor };
  },
};

/** Whether the fused kernel serves the current backend (registered by `initRuntime` on wasm with the native addon). */
export function fusedGeluAvailable(): boolean {
  return tf.getKernel(geluKernelName, tf.getBackend()) !== undefined;
}

/** GELU by the fused kernel: x [...] float32 -> [...]. Call only where {@link fusedGeluAvailable}. */
export function fusedGelu(x: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel(geluKernelName, { x }) as tf.Tensor;
}
