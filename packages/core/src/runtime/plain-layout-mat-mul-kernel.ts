import * as tf from '@tensorflow/tfjs-core';

interface WasmBackendLike {
  disposeData(dataId: tf.DataId): boolean;
}

/**
 * Wraps the wasm backend's `BatchMatMul` kernel so that a matMul with `transposeA`/`transposeB` first transposes its
 * input with the wasm `Transpose` kernel and then multiplies in the plain layout.
 *
 * tfjs-wasm 4.22 only uses XNNPACK (fast, multithreaded) for a plain, unbatched matMul; any transpose flag sends it to
 * a naive single-threaded loop, 12-17× slower (1024³: 111 ms plain vs 1,937 ms with `transposeB`, measured here).
 * Transposes cost a copy each — a few ms at 1024² — so every flagged matMul gets the fast path: the forward pass of
 * tied output layers (`x·Eᵀ`), and every gradient (tfjs' matMul gradient is written with transpose flags).
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
      if (!transposeA && !transposeB) return original.kernelFunc(args);
      const backend = args.backend as unknown as WasmBackendLike;
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
        return original.kernelFunc({
          ...args,
          inputs: { a: transposeA ? lastTwoSwapped(a) : a, b: transposeB ? lastTwoSwapped(b) : b },
          attrs: { ...args.attrs, transposeA: false, transposeB: false },
        });
      } finally {
        for (const temporary of temporaries) backend.disposeData(temporary.dataId);
      }
    },
  };
}
