import * as tf from '@tensorflow/tfjs-core';

/** The parts of tfjs-core 4.22's `Engine` this patch reads and replaces. */
interface EngineInternals {
  state: { gradientDepth: number };
  backendName: string;
  backend: { incRef(dataId: tf.DataId): void };
  saveTensorsForBackwardMode(tensors: tf.Tensor[]): tf.Tensor[];
  makeTensorFromTensorInfo(info: tf.TensorInfo, backend?: unknown): tf.Tensor;
  keep<T extends tf.Tensor>(tensor: T): T;
}

/** Backends whose data is reference-counted by `incRef`, as their own Identity kernels share it (cpu; wasm with UMD's). */
const sharingBackends = new Set(['cpu', 'wasm']);

let original: EngineInternals['saveTensorsForBackwardMode'] | undefined;

/**
 * A new tensor object over `tensor`'s data (its own id, tracked in the current scope, disposed on its own), without a
 * kernel dispatch on the cpu and wasm backends; elsewhere a reshape to the same shape, as tfjs' gradients do.
 */
export function tensorReference<T extends tf.Tensor>(tensor: T): T {
  const engine = tf.engine() as unknown as EngineInternals;
  if (!sharingBackends.has(engine.backendName) || tensor.dtype === 'string') return tf.reshape(tensor, tensor.shape) as T;
  engine.backend.incRef(tensor.dataId);
  return engine.makeTensorFromTensorInfo({ dataId: tensor.dataId, shape: tensor.shape, dtype: tensor.dtype }, engine.backend) as T;
}

/**
 * Makes the tensors a gradient needs (tfjs-core's `saveTensorsForBackwardMode`, every input or output a kernel's
 * gradient reads) new references to the same data instead of clones through the Identity kernel: tfjs runs one full
 * kernel dispatch per saved tensor (scope, profiler, a tape node of its own), about 10 µs each and 1,876 of the 5,916
 * kernels of a `tiny` MR-Pretrain step. The data is shared either way (UMD's wasm Identity and tfjs' cpu one take a
 * reference); each saved tensor is still its own tracked, kept tensor, disposed after the backward pass as before.
 *
 * Only for a first-order tape (gradient depth 1) on the cpu and wasm backends: a gradient of a gradient
 * differentiates through the saved tensors' tape nodes, so deeper tapes, and other backends, keep tfjs' clones.
 * Idempotent; `enabled: false` restores tfjs' own method.
 */
export function shareSavedTensors(enabled: boolean): void {
  const engine = tf.engine() as unknown as EngineInternals;
  if (!enabled) {
    if (original) engine.saveTensorsForBackwardMode = original;
    original = undefined;
    return;
  }
  if (original) return;
  const tfjs = engine.saveTensorsForBackwardMode;
  original = tfjs;
  engine.saveTensorsForBackwardMode = function (this: EngineInternals, tensors: tf.Tensor[]): tf.Tensor[] {
    if (this.state.gradientDepth !== 1 || !sharingBackends.has(this.backendName)) return tfjs.call(this, tensors);
    return tensors.map((tensor) => (tensor.dtype === 'string' ? tfjs.call(this, [tensor])[0]! : this.keep(tensorReference(tensor))));
  };
}
