import * as tf from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's `BackendWasm` (4.22) this kernel uses. */
interface WasmBackendLike {
  disposeData(dataId: tf.DataId): boolean;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  dataIdNextNumber: number;
  readonly dataIdMap: { get(dataId: tf.DataId): { id: number; memoryOffset: number } | undefined };
  readonly wasm: {
    readonly tfjs: { registerTensor(id: number, size: number, memoryOffset: number): void; disposeData(id: number): void; getThreadsCount(): number };
    cwrap(name: string, returnType: null, argumentTypes: string[]): (...args: unknown[]) => void;
  };
}

/** The wasm module's `BatchMatMul` export, wrapped once per backend (as tfjs' own kernel does in its setup). */
const wasmBatchMatMuls = new WeakMap<object, (...args: unknown[]) => void>();

/**
 * Wraps the wasm backend's `BatchMatMul` kernel so that a matMul with `transposeA`/`transposeB` first transposes its
 * input with the wasm `Transpose` kernel and then multiplies in the plain layout.
 *
 * tfjs-wasm 4.22 only uses XNNPACK (fast, multithreaded) for a plain, unbatched matMul; any transpose flag sends it to
 * a naive single-threaded loop, 12-17× slower (1024³: 111 ms plain vs 1,937 ms with `transposeB`, measured here).
 * Transposes cost a copy each — a few ms at 1024² — so every flagged matMul gets the fast path: the forward pass of
 * tied output layers (`x·Eᵀ`), and every gradient (tfjs' matMul gradient is written with transpose flags).
 *
 * On the single-threaded build, batched products (attention: [B, H, T, Dh] × [B, H, Dh, S]) get the same treatment:
 * tfjs-wasm sends every batched matMul to its naive loop, so each matrix of the batch is multiplied by XNNPACK on its
 * own, addressed in place on the heap through temporary tensor ids (no copies); broadcast batches (one side of size 1)
 * reuse that side's matrix. Measured on [16, 4, 64, 64]²: 43-47 ms → 13-21 ms. With 2 threads the naive loop runs in
 * parallel and one small XNNPACK dispatch per matrix is slower (32-36 ms vs 88-94 ms), so batches stay with it there.
 *
 * Values equal the flagged computation up to the summation order of XNNPACK's kernels (float32 rounding).
 *
 * @param original the backend's own `BatchMatMul` kernel (its `kernelFunc` is called with the flags off)
 * @param transpose the backend's own `Transpose` kernel
 */
export function plainLayoutMatMulKernel(original: tf.KernelConfig, transpose: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.BatchMatMul,
    backendName: original.backendName,
    ...(original.setupFunc ? { setupFunc: original.setupFunc } : {}),
    ...(original.disposeFunc ? { disposeFunc: original.disposeFunc } : {}),
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const backend = args.backend as unknown as WasmBackendLike;
      if (!transposeA && !transposeB) return perMatrix(backend, a, b) ?? original.kernelFunc(args);
      const temporaries: tf.TensorInfo[] = [];
      const lastTwoSwapped = (x: tf.TensorInfo): tf.TensorInfo => {
        const rank = x.shape.length;
        const perm = [...Array(rank).keys()];
        perm[rank - 2] = rank - 1;
        perm[rank - 1] = rank - 2;
        const swapped = transpose.kernelFunc({ inputs: { x }, backend: args.backend, attrs: { perm } }) as tf.TensorInfo;
        temporaries.push(swapped);
        return swapped;
      };
      try {
        const plainA = transposeA ? lastTwoSwapped(a) : a;
        const plainB = transposeB ? lastTwoSwapped(b) : b;
        return (
          perMatrix(backend, plainA, plainB) ??
          original.kernelFunc({ ...args, inputs: { a: plainA, b: plainB }, attrs: { ...args.attrs, transposeA: false, transposeB: false } })
        );
      } finally {
        for (const temporary of temporaries) backend.disposeData(temporary.dataId);
      }
    },
  };
}

/**
 * a [..., M, K] · b [..., K, N] (plain layout, float32) with one XNNPACK product per matrix of the batch, or undefined
 * for what the original kernel does as well: no batch, other dtypes, batches that are neither equal nor 1, and any
 * batch on the multithreaded build.
 */
function perMatrix(backend: WasmBackendLike, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo | undefined {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const [m, k] = a.shape.slice(-2) as [number, number];
  const [kB, n] = b.shape.slice(-2) as [number, number];
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = tf.util.sizeFromShape(outer);
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  if (k !== kB || batch <= 1 || (batchA !== batch && batchA !== 1) || (batchB !== batch && batchB !== 1) || m * n * k === 0) return undefined;
  if (backend.wasm.tfjs.getThreadsCount() > 1) return undefined;

  let batchMatMul = wasmBatchMatMuls.get(backend.wasm);
  if (batchMatMul === undefined) {
    batchMatMul = backend.wasm.cwrap(tf.BatchMatMul, null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
    wasmBatchMatMuls.set(backend.wasm, batchMatMul);
  }
  const out = backend.makeOutput([...outer, m, n], 'float32');
  const dataOf = (x: tf.TensorInfo): { id: number; memoryOffset: number } => backend.dataIdMap.get(x.dataId)!;
  const shapeBytes = (rows: number, columns: number): Uint8Array => new Uint8Array(new Int32Array([1, rows, columns]).buffer);
  const aShape = shapeBytes(m, k);
  const bShape = shapeBytes(k, n);
  const temporary: number[] = [];
  /** The id of matrix `i` of x (x itself when it is not batched), registered on the heap in place. */
  const view = (x: { id: number; memoryOffset: number }, batched: boolean, i: number, size: number): number => {
    if (!batched) return x.id;
    const id = backend.dataIdNextNumber++;
    backend.wasm.tfjs.registerTensor(id, size, x.memoryOffset + i * size * Float32Array.BYTES_PER_ELEMENT);
    temporary.push(id);
    return id;
  };
  const [dataA, dataB, dataOut] = [dataOf(a), dataOf(b), dataOf(out)];
  try {
    for (let i = 0; i < batch; i++) {
      const aId = view(dataA, batchA > 1, i, m * k);
      const bId = view(dataB, batchB > 1, i, k * n);
      const outId = view(dataOut, true, i, m * n);
      batchMatMul(aId, aShape, 3, bId, bShape, 3, false, false, outId);
      for (const id of temporary.splice(0)) backend.wasm.tfjs.disposeData(id);
    }
  } finally {
    for (const id of temporary) backend.wasm.tfjs.disposeData(id);
  }
  return out;
}
