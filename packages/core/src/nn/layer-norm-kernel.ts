import * as tf from '@tensorflow/tfjs-core';
import type { NativeBlas } from '@umd/native-blas';

import { floatOffsetOf, WasmHeap, type WasmBackendLike } from '../runtime/wasm-heap.js';

/** Fused LayerNorm forward: inputs `x` [N, D], `gamma` [D], `beta` [D]; attr `epsilon` -> [y [N, D], mean [N], rstd [N]]. */
export const layerNormKernelName = 'UmdLayerNorm';
/** Its input gradient: inputs `dy`, `x` [N, D], `mean`, `rstd` [N], `gamma` [D] -> dx [N, D]. */
export const layerNormInputGradKernelName = 'UmdLayerNormInputGrad';
/** Its scale gradient: inputs `dy`, `x` [N, D], `mean`, `rstd` [N] -> dgamma [D] = Σ_rows dy · x̂. */
export const layerNormScaleGradKernelName = 'UmdLayerNormScaleGrad';

/** Where each operand of a loop lives: one array (the wasm heap, or a backend's own arrays) and an element offset. */
interface At {
  readonly a: Float32Array;
  readonly i: number;
}

/**
 * y = (x − μ) · r · γ + β per row, r = 1/√(σ² + ε), the statistics summed in float64 (two passes over the row), the
 * output in float32 operation by operation: the native addon's loop computes the same numbers bit for bit.
 */
function forwardLoop(x: At, gamma: At, beta: At, y: At, mean: At, rstd: At, rows: number, D: number, epsilon: number): void {
  const f = Math.fround;
  for (let row = 0; row < rows; row++) {
    const base = x.i + row * D;
    let sum = 0;
    for (let j = 0; j < D; j++) sum += x.a[base + j]!;
    const mu = sum / D;
    let squares = 0;
    for (let j = 0; j < D; j++) {
      const centered = x.a[base + j]! - mu;
      squares += centered * centered;
    }
    const r = f(1 / Math.sqrt(squares / D + epsilon));
    const m = f(mu);
    const out = y.i + row * D;
    for (let j = 0; j < D; j++) y.a[out + j] = f(f(f(f(x.a[base + j]! - m) * r) * gamma.a[gamma.i + j]!) + beta.a[beta.i + j]!);
    mean.a[mean.i + row] = m;
    rstd.a[rstd.i + row] = r;
  }
}

/** dx = r · (g − mean(g) − x̂ · mean(g · x̂)) per row, g = dy · γ, x̂ = (x − μ) · r (sums in float64, as the addon). */
function inputGradLoop(dy: At, x: At, mean: At, rstd: At, gamma: At, dx: At, rows: number, D: number): void {
  const f = Math.fround;
  for (let row = 0; row < rows; row++) {
    const base = row * D;
    const m = mean.a[mean.i + row]!;
    const r = rstd.a[rstd.i + row]!;
    let sumG = 0;
    let sumGX = 0;
    for (let j = 0; j < D; j++) {
      const g = f(dy.a[dy.i + base + j]! * gamma.a[gamma.i + j]!);
      sumG += g;
      sumGX += f(g * f(f(x.a[x.i + base + j]! - m) * r));
    }
    const meanG = f(sumG / D);
    const meanGX = f(sumGX / D);
    for (let j = 0; j < D; j++) {
      const g = f(dy.a[dy.i + base + j]! * gamma.a[gamma.i + j]!);
      dx.a[dx.i + base + j] = f(r * f(f(g - meanG) - f(f(f(x.a[x.i + base + j]! - m) * r) * meanGX)));
    }
  }
}

/** dγ[j] = Σ_rows dy · x̂ (accumulated in float64, as the addon). */
function scaleGradLoop(dy: At, x: At, mean: At, rstd: At, dgamma: At, rows: number, D: number): void {
  const f = Math.fround;
  const sums = new Float64Array(D);
  for (let row = 0; row < rows; row++) {
    const base = row * D;
    const m = mean.a[mean.i + row]!;
    const r = rstd.a[rstd.i + row]!;
    for (let j = 0; j < D; j++) sums[j]! += f(dy.a[dy.i + base + j]! * f(f(x.a[x.i + base + j]! - m) * r));
  }
  for (let j = 0; j < D; j++) dgamma.a[dgamma.i + j] = sums[j]!;
}

/** The tfjs cpu backend's storage (4.22). */
interface CpuBackendLike {
  readonly data: { get(dataId: tf.DataId): { values?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

type Operands = Readonly<Record<string, tf.TensorInfo>>;

/** Each named operand mapped by `f` (an offset on the heap, or where its values live). */
function byName<T>(operands: Operands, f: (info: tf.TensorInfo) => T): Readonly<Record<string, T>> {
  return Object.fromEntries(Object.entries(operands).map(([name, info]) => [name, f(info)]));
}

/**
 * One kernel body for both backends: `run` gets every input and output as an {@link At} (the wasm heap with the
 * tensor's offset, or the cpu backend's arrays) and the row count N and width D of `x`. On wasm, `native` (the
 * addon's loop, given the heap) runs instead where given.
 */
function fusedKernels(
  kernelName: string,
  outputsOf: (inputs: Operands) => (readonly number[])[],
  run: (inputs: Readonly<Record<string, At>>, outputs: At[], rows: number, D: number, attrs: tf.NamedAttrMap) => void,
  native?: (heap: Float32Array, inputs: Readonly<Record<string, number>>, outputs: number[], rows: number, D: number, attrs: tf.NamedAttrMap) => void,
): tf.KernelConfig[] {
  const heap = new WasmHeap();
  const size = (inputs: Operands): [number, number] => {
    const D = inputs['x']!.shape.at(-1)!;
    return [tf.util.sizeFromShape(inputs['x']!.shape) / D, D];
  };
  const wasm: tf.KernelConfig = {
    kernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const operands = inputs as Operands;
      const wasmBackend = backend as unknown as WasmBackendLike;
      const outputs = outputsOf(operands).map((shape) => wasmBackend.makeOutput([...shape], 'float32'));
      const values = heap.float32(wasmBackend); // after makeOutput: a grown heap replaces the buffer
      const [rows, D] = size(operands);
      if (native) {
        const offset = (info: tf.TensorInfo): number => floatOffsetOf(wasmBackend, info);
        native(values, byName(operands, offset), outputs.map(offset), rows, D, attrs ?? {});
      } else {
        const at = (info: tf.TensorInfo): At => ({ a: values, i: floatOffsetOf(wasmBackend, info) });
        run(byName(operands, at), outputs.map(at), rows, D, attrs ?? {});
      }
      return outputs.length === 1 ? outputs[0]! : outputs;
    },
  };
  const cpu: tf.KernelConfig = {
    kernelName,
    backendName: 'cpu',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const operands = inputs as Operands;
      const cpuBackend = backend as unknown as CpuBackendLike;
      const shapes = outputsOf(operands);
      const arrays = shapes.map((shape) => new Float32Array(tf.util.sizeFromShape([...shape])));
      const [rows, D] = size(operands);
      const read = (info: tf.TensorInfo): At => ({ a: cpuBackend.data.get(info.dataId)?.values as Float32Array, i: 0 });
      run(
        byName(operands, read),
        arrays.map((a) => ({ a, i: 0 })),
        rows,
        D,
        attrs ?? {},
      );
      const outputs = arrays.map((values, k) => cpuBackend.makeTensorInfo([...shapes[k]!], 'float32', values));
      return outputs.length === 1 ? outputs[0]! : outputs;
    },
  };
  return [wasm, cpu];
}

/**
 * The fused LayerNorm kernels (forward, input gradient, scale gradient) for `wasm` (in place on the heap: in the
 * native addon's loop when `blas` is given, else in JavaScript) and `cpu` (JavaScript): one kernel each instead of
 * the op-by-op form's ~9 forward and ~20 backward kernels. Native and JavaScript loops give the same numbers.
 *
 * @param blas the native addon, or undefined
 */
export function layerNormKernels(blas?: Pick<NativeBlas, 'layerNorm'>): tf.KernelConfig[] {
  const rowsOf = (inputs: Operands): number => tf.util.sizeFromShape(inputs['x']!.shape) / inputs['x']!.shape.at(-1)!;
  return [
    ...fusedKernels(
      layerNormKernelName,
      (inputs) => [inputs['x']!.shape, [rowsOf(inputs)], [rowsOf(inputs)]],
      (i, [y, mean, rstd], rows, D, attrs) => forwardLoop(i['x']!, i['gamma']!, i['beta']!, y!, mean!, rstd!, rows, D, attrs['epsilon'] as number),
      blas &&
        ((heap, i, [y, mean, rstd], rows, d, attrs) =>
          blas.layerNorm('forward', heap, { rows, d, offsets: [i['x']!, i['gamma']!, i['beta']!, y!, mean!, rstd!], epsilon: attrs['epsilon'] as number })),
    ),
    ...fusedKernels(
      layerNormInputGradKernelName,
      (inputs) => [inputs['x']!.shape],
      (i, [dx], rows, D) => inputGradLoop(i['dy']!, i['x']!, i['mean']!, i['rstd']!, i['gamma']!, dx!, rows, D),
      blas &&
        ((heap, i, [dx], rows, d) =>
          blas.layerNorm('input-grad', heap, { rows, d, offsets: [i['dy']!, i['x']!, i['mean']!, i['rstd']!, i['gamma']!, dx!], epsilon: 0 })),
    ),
    ...fusedKernels(
      layerNormScaleGradKernelName,
      (inputs) => [[inputs['x']!.shape.at(-1)!]],
      (i, [dgamma], rows, D) => scaleGradLoop(i['dy']!, i['x']!, i['mean']!, i['rstd']!, dgamma!, rows, D),
      blas &&
        ((heap, i, [dgamma], rows, d) =>
          blas.layerNorm('scale-grad', heap, { rows, d, offsets: [i['dy']!, i['x']!, i['mean']!, i['rstd']!, dgamma!, 0], epsilon: 0 })),
    ),
  ];
}

/**
 * The fused kernel's gradient: dx by {@link layerNormInputGradKernelName}, dγ by {@link layerNormScaleGradKernelName},
 * dβ = Σ_rows dy (tfjs' Sum). Saves x and γ, and the forward's mean and rstd.
 */
export const layerNormGradient: tf.GradConfig = {
  kernelName: layerNormKernelName,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved) => {
    const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor;
    const [x, gamma, mean, rstd] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const D = x.shape.at(-1)!;
    return {
      x: () => tf.engine().runKernel(layerNormInputGradKernelName, { dy, x, mean, rstd, gamma }) as tf.Tensor,
      gamma: () => tf.engine().runKernel(layerNormScaleGradKernelName, { dy, x, mean, rstd }) as tf.Tensor,
      beta: () => tf.sum(tf.reshape(dy, [-1, D]), 0),
    };
  },
};

/** Whether the fused kernel serves the current backend (registered by `initRuntime` on wasm and cpu). */
export function fusedLayerNormAvailable(): boolean {
  return tf.getKernel(layerNormKernelName, tf.getBackend()) !== undefined;
}

/**
 * LayerNorm over the last dimension by the fused kernel: x [..., D], γ and β [D] -> [..., D]. Call only where
 * {@link fusedLayerNormAvailable}, inside a tidy: the kernel's row means and 1/σ are outputs too (a gradient tape keeps
 * them for the backward pass; the tidy frees them otherwise).
 */
export function fusedLayerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  const [y] = tf.engine().runKernel(layerNormKernelName, { x, gamma, beta }, { epsilon }) as tf.Tensor[];
  return y!;
}
