import * as tf from '@tensorflow/tfjs-core';
import type { NativeBlas, NativeUnaryOp } from '@umd/native-blas';

import { floatOffsetOf, WasmHeap, type WasmBackendLike } from './wasm-heap.js';

const kernelNames: Readonly<Record<NativeUnaryOp, string>> = { exp: tf.Exp, erf: tf.Erf };

/**
 * Wraps the wasm backend's `Exp` or `Erf` kernel so that float32 inputs are computed by the native addon's vectorised
 * loop, in place on the wasm heap (tfjs-wasm 4.22's scalar loops take 10-30 ns per element: erf-GELU and its gradient
 * were 18% of a transformer block's training step once its matMuls ran on BLAS). Other dtypes go to `original`.
 *
 * Accuracy: exp ~1e-7 relative, erf ~1.5e-7 absolute (see `@umd/native-blas`), i.e. float32 rounding.
 *
 * @param blas the loaded native addon
 * @param op which function (`Exp` or `Erf` kernel)
 * @param original the backend's own kernel for that op
 */
export function nativeUnaryKernel(blas: Pick<NativeBlas, 'unary'>, op: NativeUnaryOp, original: tf.KernelConfig): tf.KernelConfig {
  const heap = new WasmHeap();
  return {
    kernelName: kernelNames[op],
    backendName: original.backendName,
    ...(original.setupFunc ? { setupFunc: original.setupFunc } : {}),
    ...(original.disposeFunc ? { disposeFunc: original.disposeFunc } : {}),
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      if (x.dtype !== 'float32') return original.kernelFunc(args);
      const backend = args.backend as unknown as WasmBackendLike;
      const out = backend.makeOutput([...x.shape], 'float32');
      const n = tf.util.sizeFromShape(x.shape);
      blas.unary(op, heap.float32(backend), { n, inOffset: floatOffsetOf(backend, x), outOffset: floatOffsetOf(backend, out) });
      return out;
    },
  };
}
