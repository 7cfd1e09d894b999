import type * as tf from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's `BackendWasm` (4.22) that kernels working on its heap use. */
export interface WasmBackendLike {
  readonly wasm: { readonly HEAPU8: Uint8Array };
  readonly dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/**
 * Views of the wasm backend's heap for kernels that read and write tensors in place. Call `float32()`/`bytes()`
 * after allocating outputs: a grown wasm memory replaces the buffer (the views are rebuilt when it changes).
 */
export class WasmHeap {
  private f32: Float32Array<ArrayBufferLike> = new Float32Array(0);
  private u8: Uint8Array<ArrayBufferLike> = new Uint8Array(0);

  /** The heap as float32 (index = byte offset / 4). */
  float32(backend: WasmBackendLike): Float32Array {
    const buffer = backend.wasm.HEAPU8.buffer;
    if (this.f32.buffer !== buffer) this.f32 = new Float32Array(buffer);
    return this.f32;
  }

  /** The heap as bytes. */
  bytes(backend: WasmBackendLike): Uint8Array {
    const buffer = backend.wasm.HEAPU8.buffer;
    if (this.u8.buffer !== buffer) this.u8 = new Uint8Array(buffer);
    return this.u8;
  }
}

/** Byte offset of a tensor's data on the heap. */
export function byteOffsetOf(backend: WasmBackendLike, tensor: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(tensor.dataId);
  if (data === undefined) throw new Error('wasm heap: the tensor is not on the wasm backend');
  return data.memoryOffset;
}

/** Element offset of a float32 tensor's data on the heap (index into {@link WasmHeap.float32}). */
export function floatOffsetOf(backend: WasmBackendLike, tensor: tf.TensorInfo): number {
  return byteOffsetOf(backend, tensor) / Float32Array.BYTES_PER_ELEMENT;
}
