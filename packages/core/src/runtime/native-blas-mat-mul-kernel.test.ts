import * as tf from '@tensorflow/tfjs-core';
import type { NativeBlas, SgemmBatch } from '@umd/native-blas';
import { describe, expect, it } from 'vitest';

import { SeededRandom } from '../random/seeded-random.js';
import { expectTensorClose } from '../testing/expect-tensor-close.js';
import { initRuntime } from './init-runtime.js';
import { nativeBlasMatMulKernel } from './native-blas-mat-mul-kernel.js';

const info = await initRuntime({ backend: 'wasm' });
const skipped = info.matMul === 'native-blas' ? '' : ` (skipped: native BLAS unavailable here: ${info.fixes.find((fix) => fix.startsWith('wasm matMul'))})`;

const cases = [
  { a: [7, 5], b: [5, 3] },
  { a: [4, 16, 9], b: [4, 9, 12] },
  { a: [2, 3, 8, 33], b: [2, 3, 33, 5] },
  { a: [2, 6, 17], b: [17, 65] }, // broadcast b
  { a: [9, 4], b: [3, 4, 2] }, // broadcast a
  { a: [1, 3, 4, 6], b: [2, 1, 6, 5] }, // [1,3] x [2,1]: one call per output matrix
  { a: [2, 1, 2, 3], b: [4, 3, 2] }, // [2,1] x [4]
  { a: [3, 1], b: [1, 4] }, // k = 1
];

/**
 * op(A)·op(B) on `backend`, with the inputs given in plain layout (transposed here when a flag is set). On cpu the
 * batch dimensions are broadcast explicitly first (its kernel, like tfjs-wasm's, mishandles [1,3]×[2,1] batches).
 */
async function product(
  backend: 'cpu' | 'wasm',
  shapes: { a: number[]; b: number[] },
  ta: boolean,
  tb: boolean,
  a: Float32Array,
  b: Float32Array,
): Promise<tf.Tensor> {
  await initRuntime({ backend });
  const result = tf.tidy(() => {
    const outer = tf.broadcast_util.assertAndGetBroadcastShape(shapes.a.slice(0, -2), shapes.b.slice(0, -2));
    const full = (t: tf.Tensor): tf.Tensor => (backend === 'cpu' ? tf.broadcastTo(t, [...outer, ...t.shape.slice(-2)]) : t);
    const swap = (t: tf.Tensor): tf.Tensor => {
      const perm = [...Array(t.rank).keys()];
      [perm[t.rank - 2], perm[t.rank - 1]] = [t.rank - 1, t.rank - 2];
      return tf.transpose(t, perm);
    };
    const x = full(tf.tensor(a, shapes.a));
    const y = full(tf.tensor(b, shapes.b));
    return tf.matMul(ta ? swap(x) : x, tb ? swap(y) : y, ta, tb);
  });
  const values = tf.tensor(await result.data(), result.shape);
  result.dispose();
  return values;
}

describe.skipIf(info.matMul !== 'native-blas')(`native BLAS matMul kernel (wasm)${skipped}`, () => {
  for (const shapes of cases) {
    for (const [ta, tb] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      it(`computes ${JSON.stringify(shapes)} with transposeA=${ta}, transposeB=${tb} like the cpu backend`, async () => {
        const random = new SeededRandom(`${shapes.a}-${shapes.b}-${ta}-${tb}`);
        const a = random.normalArray(shapes.a.reduce((x, y) => x * y, 1));
        const b = random.normalArray(shapes.b.reduce((x, y) => x * y, 1));
        const onWasm = await product('wasm', shapes, ta, tb, a, b);
        const onCpu = await product('cpu', shapes, ta, tb, a, b);
        expectTensorClose(onWasm, onCpu, { atol: 1e-5, rtol: 1e-5 });
        tf.dispose([onWasm, onCpu]);
      });
    }
  }

  it('leaves nothing behind', async () => {
    await initRuntime({ backend: 'wasm' });
    const a = tf.ones([3, 4, 5]);
    const b = tf.ones([3, 6, 5]);
    const before = tf.memory().numBytes;
    const out = tf.matMul(a, b, false, true);
    expect(Array.from(out.dataSync()).every((v) => v === 5)).toBe(true);
    out.dispose();
    expect(tf.memory().numBytes).toBe(before);
    tf.dispose([a, b]);
  });
});

describe('native BLAS matMul kernel: what it leaves to the fallback', () => {
  /** The kernel over a recording fake BLAS; the fallback records its calls too. */
  function recorded(): { kernel: tf.KernelConfig; gemms: SgemmBatch[]; fallbacks: number } {
    const state = { gemms: [] as SgemmBatch[], fallbacks: 0 };
    const blas = { sgemmBatched: (_heap: Float32Array, gemm: SgemmBatch) => state.gemms.push(gemm) } as unknown as NativeBlas;
    const original = tf.getKernel(tf.BatchMatMul, 'wasm')!;
    const fallback: tf.KernelConfig = { ...original, kernelFunc: (args) => ((state.fallbacks += 1), original.kernelFunc(args)) };
    return Object.assign(state, { kernel: nativeBlasMatMulKernel(blas, fallback) });
  }

  it('sends one batched call with a stride of 0 for a broadcast operand, one call per matrix for [1,3]×[2,1], int32 to the fallback', async () => {
    await initRuntime({ backend: 'wasm' });
    const calls = recorded();
    const run = (a: tf.Tensor, b: tf.Tensor, transposeB = false): void => {
      const out = calls.kernel.kernelFunc({ inputs: { a, b }, attrs: { transposeA: false, transposeB }, backend: tf.backend() }) as tf.TensorInfo;
      tf.backend().disposeData(out.dataId);
    };
    tf.tidy(() => {
      run(tf.ones([2, 6, 17]), tf.ones([17, 65]));
      run(tf.ones([4, 3, 5]), tf.ones([4, 7, 5]), true);
      run(tf.ones([1, 3, 4, 6]), tf.ones([2, 1, 6, 5]));
      expect(() => run(tf.ones([2, 3], 'int32'), tf.ones([3, 2], 'int32'))).toThrow(/non-float32/);
    });
    expect(calls.gemms).toHaveLength(2 + 6);
    expect(calls.gemms[0]).toMatchObject({ batch: 2, m: 6, n: 65, k: 17, aStride: 6 * 17, bStride: 0, cStride: 6 * 65, transposeB: false });
    expect(calls.gemms[1]).toMatchObject({ batch: 4, m: 3, n: 7, k: 5, aStride: 15, bStride: 35, transposeB: true });
    // Output matrix (i, j) of [2, 3] reads A[0, j] and B[i, 0].
    const [c0] = [calls.gemms[2]!.cOffset];
    const perMatrix = calls.gemms
      .slice(2)
      .map((g) => [(g.aOffset - calls.gemms[2]!.aOffset) / 24, (g.bOffset - calls.gemms[2]!.bOffset) / 30, (g.cOffset - c0) / 20]);
    expect(perMatrix).toEqual([
      [0, 0, 0],
      [1, 0, 1],
      [2, 0, 2],
      [0, 1, 3],
      [1, 1, 4],
      [2, 1, 5],
    ]);
    expect(calls.fallbacks).toBe(1);
  });
});
