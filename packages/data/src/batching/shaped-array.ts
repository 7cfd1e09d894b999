/**
 * A flat typed array with the shape it stands for, row-major: the plain-data form of a tensor. Batches are made of
 * these (no tensors), and `batchToTensors` turns them into tensors when the caller wants them.
 */
export interface ShapedArray<T extends Float32Array | Int32Array | Uint8Array = Float32Array | Int32Array> {
  readonly data: T;
  /** Row-major dimensions; their product equals `data.length`. */
  readonly shape: readonly number[];
}
