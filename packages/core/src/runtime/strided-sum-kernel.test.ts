import * as tf from '@tensorflow/tfjs-core';
import { loadNativeBlas, type NativeBlas } from '@umd/native-blas';
import { describe, expect, it } from 'vitest';

import { SeededRandom } from '../random/seeded-random.js';
import { expectNoTensorLeak } from '../testing/expect-no-tensor-leak.js';
import { expectTensorClose } from '../testing/expect-tensor-close.js';
import { initRuntime } from './init-runtime.js';
import { stridedSumKernel } from './strided-sum-kernel.js';

await initRuntime({ backend: 'wasm' });
const tfjsSum = (await import('@tensorflow/tfjs-backend-wasm')) && tf.getKernel(tf.Sum, 'wasm')!;
let native: NativeBlas | undefined;
try {
  native = loadNativeBlas({ env: {} });
} catch {
  native = undefined;
}

const cases: { shape: number[]; axis: number | number[]; keepDims?: boolean }[] = [
  { shape: [64, 33], axis: 0 }, // bias gradient [B·T, D] -> [D]
  { shape: [4, 8, 33], axis: [0, 1] },
  { shape: [4, 8, 33], axis: [1, 0], keepDims: true },
  { shape: [3, 5, 7, 2], axis: 1 }, // middle axis
  { shape: [3, 5, 7, 2], axis: [1, 2], keepDims: true },
  { shape: [3, 5, 7], axis: -1 }, // innermost: the original kernel
  { shape: [3, 5, 7], axis: [0, 2] }, // not contiguous: the original kernel
  { shape: [0, 4], axis: 0 }, // empty input: zeros
];

async function sumOn(backend: 'cpu' | 'wasm', values: Float32Array, c: (typeof cases)[number]): Promise<tf.Tensor> {
  await initRuntime({ backend });
  const out = tf.tidy(() => tf.sum(tf.tensor(values, c.shape), c.axis, c.keepDims ?? false));
  const copy = tf.tensor(await out.data(), out.shape);
  out.dispose();
  return copy;
}

for (const [label, blas] of [
  ['JavaScript loop', undefined],
  ['native loop', native],
] as const) {
  describe.skipIf(label === 'native loop' && native === undefined)(
    `strided Sum kernel, ${label}${label === 'native loop' && !native ? ' (skipped: native BLAS unavailable here)' : ''}`,
    () => {
      for (const c of cases) {
        it(`sums ${JSON.stringify(c.shape)} over ${JSON.stringify(c.axis)}${c.keepDims ? ' keeping dims' : ''} like the cpu backend`, async () => {
          const random = new SeededRandom(`${c.shape}-${c.axis}`);
          const values = random.normalArray(c.shape.reduce((x, y) => x * y, 1));
          await initRuntime({ backend: 'wasm' });
          tf.unregisterKernel(tf.Sum, 'wasm');
          tf.registerKernel(stridedSumKernel(tfjsSum, blas));
          try {
            const onWasm = await sumOn('wasm', values, c);
            const onCpu = await sumOn('cpu', values, c);
            expectTensorClose(onWasm, onCpu, { atol: 1e-5, rtol: 1e-5 });
            tf.dispose([onWasm, onCpu]);
          } finally {
            await initRuntime({ backend: 'wasm' });
            tf.unregisterKernel(tf.Sum, 'wasm');
            tf.registerKernel(tfjsSum);
          }
        });
      }
    },
  );
}

describe('strided Sum kernel, as installed by initRuntime', () => {
  it('is installed, accumulates in float64 and leaks nothing', async () => {
    const info = await initRuntime({ backend: 'wasm' });
    expect(info.fixes.some((fix) => fix.startsWith('Sum over leading axes without transpose'))).toBe(true);
    // 2^24 + 1 + 1 + … : float32 accumulation would stall at 2^24.
    const column = new Float32Array(1025).fill(1);
    column[0] = 2 ** 24;
    const x = tf.tensor2d(column, [1025, 1]);
    await expectNoTensorLeak(() => {
      const total = tf.tidy(() => tf.sum(tf.concat([x, x], 1), 0));
      expect(Array.from(total.dataSync())).toEqual([2 ** 24 + 1024, 2 ** 24 + 1024]);
      return total;
    });
    x.dispose();
  });
});
