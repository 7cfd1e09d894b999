import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { SeededRandom } from '../random/seeded-random.js';
import { expectNoTensorLeak } from '../testing/expect-no-tensor-leak.js';
import { initRuntime } from './init-runtime.js';

const slices: { shape: number[]; begin: number[]; size: number[]; dtype?: 'int32' | 'bool' }[] = [
  { shape: [16, 64, 96], begin: [0, 0, 32], size: [16, 64, 32] }, // one of q/k/v
  { shape: [8, 40], begin: [2, 0], size: [3, 40] }, // whole rows: one run
  { shape: [4, 5, 6, 20], begin: [1, 2, 3, 0], size: [2, 2, 3, 20] },
  { shape: [4, 5, 6, 20], begin: [1, 2, 3, 4], size: [2, 2, 3, 16], dtype: 'int32' },
  { shape: [6, 100], begin: [1, 10], size: [4, 80], dtype: 'bool' },
  { shape: [6, 10], begin: [1, 2], size: [4, 3] }, // runs of 12 bytes: the original kernel
  { shape: [6, 10], begin: [1, 2], size: [0, 3] }, // empty
];

async function on(backend: 'cpu' | 'wasm', fn: () => tf.Tensor | tf.Tensor[]): Promise<{ values: number[][]; shapes: number[][] }> {
  await initRuntime({ backend });
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const result = { values: list.map((t) => Array.from(t.dataSync())), shapes: list.map((t) => t.shape) };
  tf.dispose(list);
  return result;
}

describe('Slice, SplitV and Concat on the wasm heap', () => {
  it('are installed', async () => {
    const info = await initRuntime({ backend: 'wasm' });
    expect(info.fixes).toContain('Slice/SplitV/Concat by memmove on the heap');
  });

  for (const c of slices) {
    it(`slices ${c.dtype ?? 'float32'} ${JSON.stringify(c.shape)} at ${JSON.stringify(c.begin)} size ${JSON.stringify(c.size)} bit for bit like the cpu backend`, async () => {
      const random = new SeededRandom(`${c.shape}-${c.begin}`);
      const n = c.shape.reduce((x, y) => x * y, 1);
      const values =
        c.dtype === undefined
          ? random.normalArray(n)
          : Int32Array.from({ length: n }, () => random.integer(c.dtype === 'bool' ? 2 : 1000) - (c.dtype === 'bool' ? 0 : 500));
      const fn = (): tf.Tensor => tf.slice(tf.tensor(values, c.shape, c.dtype ?? 'float32'), c.begin, c.size);
      expect(await on('wasm', fn)).toEqual(await on('cpu', fn));
    });
  }

  for (const [shapes, axis, dtype] of [
    [
      [
        [16, 64, 256],
        [16, 64, 256],
        [16, 64, 256],
      ],
      2,
      'float32',
    ], // the gradient of the q/k/v split
    [
      [
        [3, 40],
        [5, 40],
      ],
      0,
      'int32',
    ],
    [
      [
        [2, 3, 20],
        [2, 0, 20],
        [2, 4, 20],
      ],
      1,
      'bool',
    ], // an empty part
    [
      [
        [4, 2],
        [4, 3],
      ],
      1,
      'float32',
    ], // runs of 8-12 bytes: the original kernel
  ] as const) {
    it(`concatenates ${dtype} ${JSON.stringify(shapes)} on axis ${axis} bit for bit like the cpu backend`, async () => {
      const random = new SeededRandom(`${shapes}`);
      const parts = shapes.map((shape) => {
        const n = (shape as readonly number[]).reduce((x, y) => x * y, 1);
        return dtype === 'float32' ? random.normalArray(n) : Int32Array.from({ length: n }, () => random.integer(dtype === 'bool' ? 2 : 1000));
      });
      const fn = (): tf.Tensor =>
        tf.concat(
          parts.map((values, i) => tf.tensor(values, [...shapes[i]!], dtype)),
          axis,
        );
      expect(await on('wasm', fn)).toEqual(await on('cpu', fn));
    });
  }

  for (const [shape, splits, axis] of [
    [[16, 64, 768], 3, 2],
    [[5, 12, 7], [2, 7, 3], 1],
    [[9, 4, 32], [4, 5], 0],
  ] as const) {
    it(`splits ${JSON.stringify(shape)} into ${JSON.stringify(splits)} on axis ${axis} like the cpu backend, leaking nothing`, async () => {
      const values = new SeededRandom(`${shape}`).normalArray(shape.reduce((x: number, y: number) => x * y, 1));
      const fn = (): tf.Tensor[] => tf.split(tf.tensor(values, [...shape]), splits as number | number[], axis);
      expect(await on('wasm', fn)).toEqual(await on('cpu', fn));
      await initRuntime({ backend: 'wasm' });
      const x = tf.tensor(values, [...shape]);
      await expectNoTensorLeak(() => tf.split(x, splits as number | number[], axis));
      x.dispose();
    });
  }
});
