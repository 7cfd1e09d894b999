import * as tf from '@tensorflow/tfjs-core';
import type { NativeBlas } from '@umd/native-blas';

import { floatOffsetOf, WasmHeap, type WasmBackendLike } from '../runtime/wasm-heap.js';

/** The fused AdamW update kernel: inputs `p`, `m`, `v`, `g` (float32, one shape) -> [p', m', v']. */
export const adamWUpdateKernelName = 'UmdAdamWUpdate';

/** The kernel's attributes: the update's coefficients, each used as a float32 (as the op-by-op update's scalars). */
export interface AdamWUpdateAttrs {
  readonly beta1: number;
  readonly oneMinusBeta1: number;
  readonly beta2: number;
  readonly oneMinusBeta2: number;
  /** lr · √(1 − β2ᵗ) / (1 − β1ᵗ) */
  readonly stepSize: number;
  /** ε · √(1 − β2ᵗ) */
  readonly epsilonHat: number;
  /** 1 − lr · weightDecay, or 1 without decay. */
  readonly decay: number;
}

/**
 * One AdamW update of n elements in float32, op by op in the order of `AdamW`'s tensor update, so the result is
 * bit-identical to it: m' = m·β1 + g·(1−β1); v' = v·β2 + g²·(1−β2); p' = p·decay − m'·stepSize / (√v' + ε̂).
 * Each array is read from (written at) its offset; outputs must not overlap inputs.
 */
function adamWUpdateLoop(
  input: { p: Float32Array; pi: number; m: Float32Array; mi: number; v: Float32Array; vi: number; g: Float32Array; gi: number },
  output: { p: Float32Array; pi: number; m: Float32Array; mi: number; v: Float32Array; vi: number },
  n: number,
  attrs: AdamWUpdateAttrs,
): void {
  const f = Math.fround;
  const beta1 = f(attrs.beta1);
  const oneMinusBeta1 = f(attrs.oneMinusBeta1);
  const beta2 = f(attrs.beta2);
  const oneMinusBeta2 = f(attrs.oneMinusBeta2);
  const stepSize = f(attrs.stepSize);
  const epsilonHat = f(attrs.epsilonHat);
  const decay = f(attrs.decay);
  const { p, m, v, g } = input;
  for (let i = 0; i < n; i++) {
    const gradient = g[input.gi + i]!;
    const mNext = f(f(m[input.mi + i]! * beta1) + f(gradient * oneMinusBeta1));
    const vNext = f(f(v[input.vi + i]! * beta2) + f(f(gradient * gradient) * oneMinusBeta2));
    const update = f(f(mNext * stepSize) / f(f(Math.sqrt(vNext)) + epsilonHat));
    output.p[output.pi + i] = f(p[input.pi + i]! * decay) - update;
    output.m[output.mi + i] = mNext;
    output.v[output.vi + i] = vNext;
  }
}

/** The tfjs cpu backend's storage (4.22). */
interface CpuBackendLike {
  readonly data: { get(dataId: tf.DataId): { values?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

/**
 * The fused AdamW update kernels: one kernel per parameter instead of the 13 element-wise ops (and 13 passes over
 * memory) of the tensor update. `wasm` updates in place on the heap — in the native addon's vectorised loop when
 * `blas` is given, else in JavaScript; `cpu` in JavaScript on the backend's arrays. Every variant is bit-identical to
 * the tensor update (float32 rounding after each operation, in the same order).
 *
 * @param blas the native addon, or undefined
 * @returns one kernel config per backend (`wasm`, `cpu`)
 */
export function adamWUpdateKernels(blas?: Pick<NativeBlas, 'adamw'>): tf.KernelConfig[] {
  const heap = new WasmHeap();
  const wasm: tf.KernelConfig = {
    kernelName: adamWUpdateKernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { p, m, v, g } = inputs as { p: tf.TensorInfo; m: tf.TensorInfo; v: tf.TensorInfo; g: tf.TensorInfo };
      const coefficients = attrs as unknown as AdamWUpdateAttrs;
      const wasmBackend = backend as unknown as WasmBackendLike;
      const outputs = [p, m, v].map((x) => wasmBackend.makeOutput([...x.shape], 'float32'));
      const [pOut, mOut, vOut] = outputs as [tf.TensorInfo, tf.TensorInfo, tf.TensorInfo];
      const values = heap.float32(wasmBackend);
      const at = (x: tf.TensorInfo): number => floatOffsetOf(wasmBackend, x);
      const n = tf.util.sizeFromShape(p.shape);
      if (blas) {
        blas.adamw(values, { n, pIn: at(p), mIn: at(m), vIn: at(v), gIn: at(g), pOut: at(pOut), mOut: at(mOut), vOut: at(vOut), ...coefficients });
      } else {
        adamWUpdateLoop(
          { p: values, pi: at(p), m: values, mi: at(m), v: values, vi: at(v), g: values, gi: at(g) },
          { p: values, pi: at(pOut), m: values, mi: at(mOut), v: values, vi: at(vOut) },
          n,
          coefficients,
        );
      }
      return outputs;
    },
  };
  const cpu: tf.KernelConfig = {
    kernelName: adamWUpdateKernelName,
    backendName: 'cpu',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { p, m, v, g } = inputs as { p: tf.TensorInfo; m: tf.TensorInfo; v: tf.TensorInfo; g: tf.TensorInfo };
      const cpuBackend = backend as unknown as CpuBackendLike;
      const read = (x: tf.TensorInfo): Float32Array => cpuBackend.data.get(x.dataId)?.values as Float32Array;
      const n = tf.util.sizeFromShape(p.shape);
      const out = { p: new Float32Array(n), pi: 0, m: new Float32Array(n), mi: 0, v: new Float32Array(n), vi: 0 };
      adamWUpdateLoop({ p: read(p), pi: 0, m: read(m), mi: 0, v: read(v), vi: 0, g: read(g), gi: 0 }, out, n, attrs as unknown as AdamWUpdateAttrs);
      return [out.p, out.m, out.v].map((values) => cpuBackend.makeTensorInfo([...p.shape], 'float32', values));
    },
  };
  return [wasm, cpu];
}
