import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { SeededRandom } from '../random/seeded-random.js';
import { expectNoTensorLeak } from '../testing/expect-no-tensor-leak.js';
import { initRuntime } from './init-runtime.js';

const cases: { shape: number[]; indices: number[]; indexShape: number[]; axis: number; dtype?: 'int32' | 'bool' }[] = [
  { shape: [50, 32], indices: [3, 0, 49, 3, 17, 8], indexShape: [2, 3], axis: 0 }, // embedding lookup [B, T]
  { shape: [8, 6, 6, 1], indices: [7, 0, 2, 2], indexShape: [4], axis: 0 }, // image shuffle
  { shape: [3, 10, 20], indices: [9, 1, 1], indexShape: [3], axis: 1, dtype: 'int32' },
  { shape: [4, 100], indices: [1, 3], indexShape: [2], axis: 0, dtype: 'bool' },
  { shape: [30, 4], indices: [2, 5], indexShape: [2], axis: 0 }, // rows of 16 bytes: the original kernel
  { shape: [5, 32], indices: [], indexShape: [0], axis: 0 }, // no index
];

async function on(backend: 'cpu' | 'wasm', c: (typeof cases)[number], values: Float32Array | Int32Array): Promise<{ values: number[]; shape: number[] }> {
  await initRuntime({ backend });
  const out = tf.tidy(() => tf.gather(tf.tensor(values, c.shape, c.dtype ?? 'float32'), tf.tensor(c.indices, c.indexShape, 'int32'), c.axis));
  const result = { values: Array.from(await out.data()), shape: out.shape };
  out.dispose();
  return result;
}

describe('GatherV2 on the wasm heap', () => {
  it('is installed', async () => {
    const info = await initRuntime({ backend: 'wasm' });
    expect(info.fixes).toContain('GatherV2 by memmove on the heap');
  });

  for (const c of cases) {
    it(`gathers ${c.dtype ?? 'float32'} ${JSON.stringify(c.shape)} at ${JSON.stringify(c.indices)} on axis ${c.axis} bit for bit like the cpu backend`, async () => {
      const random = new SeededRandom(`${c.shape}`);
      const n = c.shape.reduce((x, y) => x * y, 1);
      const values = c.dtype === undefined ? random.normalArray(n) : Int32Array.from({ length: n }, () => random.integer(c.dtype === 'bool' ? 2 : 100));
      expect(await on('wasm', c, values)).toEqual(await on('cpu', c, values));
    });
  }

  it("keeps tfjs' error for an index out of range, and leaks nothing", async () => {
    await initRuntime({ backend: 'wasm' });
    const table = tf.ones([10, 32]);
    const bad = tf.tensor1d([1, 10], 'int32');
    expect(() => tf.gather(table, bad)).toThrow(/index value 10 is not in \[0, 9\]/);
    const good = tf.tensor1d([9, 0], 'int32');
    await expectNoTensorLeak(() => tf.gather(table, good));
    tf.dispose([table, bad, good]);
  });
});
