import * as tf from '@tensorflow/tfjs-core';

import { byteOffsetOf, WasmHeap, type WasmBackendLike } from './wasm-heap.js';

/** The reference counting of tfjs-backend-wasm's `BackendWasm` (4.22): data is freed when its count reaches 0. */
interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

/**
 * Wasm `Identity` and `Cast` kernels that share the input's data instead of copying it when nothing changes (Identity,
 * or a Cast to the same dtype), by taking a reference — what tfjs' cpu backend and every backend's `Reshape` already
 * do. tfjs-core clones every tensor a gradient needs (`saveTensorsForBackwardMode`), and tfjs-wasm 4.22 copies each
 * one: 84 copies of 0.25-4 MB in one training step of a transformer block.
 *
 * Safe because tfjs kernels never write into their inputs; a tensor's data is freed when its last user disposes it.
 * Casts to `bool` write 0/1 (tfjs-wasm 4.22 stores the truncated low byte: -2.2 became 254). Other casts that convert,
 * and string tensors, go to the original kernels.
 *
 * @param originals the backend's own `Identity` and `Cast` kernels
 * @returns the replacement kernels, `Identity` first
 */
export function sharedIdentityKernels(originals: { identity: tf.KernelConfig; cast: tf.KernelConfig }): [tf.KernelConfig, tf.KernelConfig] {
  const share = (backend: unknown, x: tf.TensorInfo): tf.TensorInfo => {
    (backend as RefCountingBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
  const heap = new WasmHeap();
  const toBool = (backend: WasmBackendLike, x: tf.TensorInfo): tf.TensorInfo => {
    const out = backend.makeOutput([...x.shape], 'bool');
    const n = tf.util.sizeFromShape(x.shape);
    const bytes = heap.bytes(backend);
    const input = byteOffsetOf(backend, x);
    const target = byteOffsetOf(backend, out);
    if (x.dtype === 'float32') {
      const values = new Float32Array(bytes.buffer, input, n);
      for (let i = 0; i < n; i++) bytes[target + i] = values[i] !== 0 ? 1 : 0;
    } else {
      const values = new Int32Array(bytes.buffer, input, n);
      for (let i = 0; i < n; i++) bytes[target + i] = values[i] !== 0 ? 1 : 0;
    }
    return out;
  };
  return [
    {
      kernelName: tf.Identity,
      backendName: originals.identity.backendName,
      kernelFunc: (args) => {
        const { x } = args.inputs as { x: tf.TensorInfo };
        return x.dtype === 'string' ? originals.identity.kernelFunc(args) : share(args.backend, x);
      },
    },
    {
      kernelName: tf.Cast,
      backendName: originals.cast.backendName,
      kernelFunc: (args) => {
        const { x } = args.inputs as { x: tf.TensorInfo };
        const { dtype } = args.attrs as unknown as { dtype: tf.DataType };
        if (dtype === x.dtype && dtype !== 'string') return share(args.backend, x);
        if (dtype === 'bool' && (x.dtype === 'float32' || x.dtype === 'int32')) return toBool(args.backend as unknown as WasmBackendLike, x);
        return originals.cast.kernelFunc(args);
      },
    },
  ];
}
