import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { SeededRandom } from '../random/seeded-random.js';
import { expectTensorClose } from '../testing/expect-tensor-close.js';
import { initRuntime } from './init-runtime.js';

describe('Tile gradient', () => {
  for (const [shape, reps] of [
    [[3], [4]],
    [
      [1, 1, 8],
      [5, 7, 1],
    ],
    [
      [2, 3, 4],
      [2, 1, 3],
    ],
    [
      [2, 1, 2, 3, 2],
      [1, 3, 2, 1, 2],
    ],
  ] as const) {
    it(`sums the repetitions of ${JSON.stringify(shape)} tiled ${JSON.stringify(reps)} with a handful of kernels`, async () => {
      await initRuntime({ backend: 'cpu' });
      const random = new SeededRandom(`${shape}${reps}`);
      const x = tf.tensor(random.normalArray(shape.reduce((a: number, b: number) => a * b, 1)), [...shape]);
      const weights = tf.tensor(
        random.normalArray(shape.reduce((a: number, b, d) => a * b * reps[d]!, 1)),
        shape.map((s, d) => s * reps[d]!),
      );
      const f = (v: tf.Tensor): tf.Tensor => tf.sum(tf.mul(tf.tile(v, [...reps]), weights));
      const profile = await tf.profile(() => tf.grad(f)(x));
      const gradient = profile.result as tf.Tensor;
      // Reference: each element of x receives the sum of the weights at all its copies.
      const w = weights.dataSync();
      const values = new Float32Array(x.size);
      const tiledStrides = tf.util.computeStrides(weights.shape);
      const xStrides = [...tf.util.computeStrides([...shape]), 1];
      for (let flat = 0; flat < weights.size; flat++) {
        const index = weights.rank === 1 ? [flat] : tf.util.indexToLoc(flat, weights.rank, tiledStrides);
        values[index.reduce((sum, i, d) => sum + (i % shape[d]!) * xStrides[d]!, 0)]! += w[flat]!;
      }
      const expected = tf.tensor(values, [...shape]);
      expectTensorClose(gradient, expected, { atol: 1e-5 });
      expect(profile.kernels.filter((kernel) => kernel.name === 'Slice')).toEqual([]); // tfjs' gradient slices once per repetition
      expect(profile.kernels.length).toBeLessThan(20);
      tf.dispose([x, weights, gradient, expected]);
    });
  }
});
