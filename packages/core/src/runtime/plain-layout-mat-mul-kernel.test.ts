import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { SeededRandom } from '../random/seeded-random.js';
import { expectTensorClose } from '../testing/expect-tensor-close.js';
import { initRuntime } from './init-runtime.js';

// The plain-layout kernel is the wasm matMul without the native BLAS: test it with the native path disabled, on the
// single-threaded build (where batches go matrix by matrix).
const info = await initRuntime({ backend: 'wasm', env: { UMD_NATIVE_BLAS: '0', UMD_WASM_THREADS: '1' } });

const cases = [
  { a: [7, 5], b: [5, 3] },
  { a: [4, 16, 9], b: [4, 9, 12] },
  { a: [2, 3, 8, 33], b: [2, 3, 33, 5] },
  { a: [2, 6, 17], b: [17, 65] }, // broadcast b
  { a: [5, 3], b: [2, 4, 3, 7] }, // broadcast a
  { a: [16, 4, 64, 16], b: [16, 4, 16, 64] }, // attention scores
];

/** C = op(A)·op(B) on `backend` for inputs given in plain layout (transposed here when a flag is set). */
async function product(
  backend: 'cpu' | 'wasm',
  aPlain: number[][] | Float32Array,
  shapes: { a: number[]; b: number[] },
  ta: boolean,
  tb: boolean,
  bPlain: Float32Array,
): Promise<{ values: Float32Array; shape: number[] }> {
  await initRuntime({ backend });
  return tf.tidy(() => {
    const swap = (t: tf.Tensor): tf.Tensor => {
      const perm = [...Array(t.rank).keys()];
      [perm[t.rank - 2], perm[t.rank - 1]] = [t.rank - 1, t.rank - 2];
      return tf.transpose(t, perm);
    };
    const a = tf.tensor(aPlain as Float32Array, shapes.a);
    const b = tf.tensor(bPlain, shapes.b);
    const out = tf.matMul(ta ? swap(a) : a, tb ? swap(b) : b, ta, tb);
    return { values: out.dataSync() as Float32Array, shape: out.shape };
  });
}

describe('plain-layout matMul kernel (wasm)', () => {
  it('is the matMul path without the native BLAS', () => {
    expect(info.matMul).toBe('wasm');
    expect(info.threads).toBe(1);
  });

  for (const shapes of cases) {
    for (const [ta, tb] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      it(`computes ${JSON.stringify(shapes)} with transposeA=${ta}, transposeB=${tb} like the cpu backend (batches matrix by matrix)`, async () => {
        const random = new SeededRandom(`${shapes.a}-${ta}-${tb}`);
        const a = random.normalArray(shapes.a.reduce((x, y) => x * y, 1));
        const b = random.normalArray(shapes.b.reduce((x, y) => x * y, 1));
        const onWasm = await product('wasm', a, shapes, ta, tb, b);
        const onCpu = await product('cpu', a, shapes, ta, tb, b);
        expect(onWasm.shape).toEqual(onCpu.shape);
        expectTensorClose(onWasm.values, onCpu.values, { atol: 1e-5, rtol: 1e-5 });
      });
    }
  }

  it('multiplies a batch matrix by matrix on XNNPACK (single-threaded build), through temporary tensor ids that it removes again', async () => {
    await initRuntime({ backend: 'wasm' });
    const tfjs = (tf.backend() as unknown as { wasm: { tfjs: { registerTensor: (...args: number[]) => void; disposeData: (id: number) => void } } }).wasm.tfjs;
    const { registerTensor, disposeData } = tfjs;
    const registered: number[] = [];
    const disposed: number[] = [];
    tfjs.registerTensor = (...args: number[]) => (registered.push(args[0]!), registerTensor(...args));
    tfjs.disposeData = (id: number) => (disposed.push(id), disposeData(id));
    try {
      const a = tf.ones([3, 4, 5]);
      const b = tf.ones([5, 2]); // broadcast: b is not registered again
      const out = tf.matMul(a, b);
      expect(Array.from(out.dataSync())).toEqual(new Array(24).fill(5));
      tf.dispose([a, b, out]);
    } finally {
      tfjs.registerTensor = registerTensor;
      tfjs.disposeData = disposeData;
    }
    const temporaries = registered.slice(3); // a, b, out
    expect(temporaries).toHaveLength(3 * 2); // each matrix of a and of the output
    expect(temporaries.every((id) => disposed.includes(id))).toBe(true);
  });

  it('is installed and leaves no temporaries behind', async () => {
    const info = await initRuntime({ backend: 'wasm' });
    expect(info.fixes).toContain('transposed matMuls as transpose + plain matMul');
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
