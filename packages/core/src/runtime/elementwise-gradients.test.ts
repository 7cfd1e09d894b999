import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { SeededRandom } from '../random/seeded-random.js';
import { expectNoTensorLeak } from '../testing/expect-no-tensor-leak.js';
import { initRuntime } from './init-runtime.js';

/** `g` [outShape] summed over the axes `shape` was broadcast along, in `shape`: what each operand's gradient must be. */
function reduced(g: tf.Tensor, shape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, g.shape);
  return tf.reshape(axes.length > 0 ? tf.sum(g, axes) : g, shape);
}

const cases: readonly [string, number[], number[]][] = [
  ['same shapes', [2, 3, 4], [2, 3, 4]],
  ['a row vector', [2, 3, 4], [4]],
  ['a column', [2, 3, 1], [2, 3, 4]],
  ['both broadcast', [2, 1, 4], [3, 1]],
  ['a scalar', [], [2, 3]],
];

describe.each(['wasm', 'cpu'] as const)('Add, Sub and Multiply gradients (%s)', (backend) => {
  it.each(cases)('give the exact gradient of a · w, a − b and a · b with %s, without no-op kernels', async (_, aShape, bShape) => {
    await initRuntime({ backend });
    const random = new SeededRandom(`${aShape}|${bShape}`);
    const tensor = (shape: number[]): tf.Tensor => tf.tensor(random.normalArray(shape.reduce((n, d) => n * d, 1)), shape);
    const [a, b] = [tensor(aShape), tensor(bShape)];
    const outShape = tf.backend_util.assertAndGetBroadcastShape(aShape, bShape);
    const w = tensor(outShape);
    for (const [op, expected] of [
      [tf.add, (g: tf.Tensor) => [reduced(g, aShape), reduced(g, bShape)]],
      [tf.sub, (g: tf.Tensor) => [reduced(g, aShape), tf.neg(reduced(g, bShape))]],
      [tf.mul, (g: tf.Tensor) => [reduced(tf.mul(g, b), aShape), reduced(tf.mul(g, a), bShape)]],
    ] as const) {
      const profile = await tf.profile(() => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(op(x, y), w)))([a, b]));
      const [da, db] = profile.result as tf.Tensor[];
      const [ea, eb] = tf.tidy(() => expected(w));
      expect(da!.shape).toEqual(aShape);
      expect(db!.shape).toEqual(bShape);
      expect(Array.from(da!.dataSync()), `${op.name} da`).toEqual(Array.from(ea!.dataSync()));
      expect(Array.from(db!.dataSync()), `${op.name} db`).toEqual(Array.from(eb!.dataSync()));
      expect(profile.kernels.filter((kernel) => kernel.name === 'Cast')).toEqual([]);
      // Same shapes: the only reshape left is the one of the final sum's gradient (tfjs: one more per operand).
      if (aShape.join() === bShape.join()) expect(profile.kernels.filter((kernel) => kernel.name === 'Reshape')).toHaveLength(1);
      tf.dispose([da!, db!, ea!, eb!]);
    }
    await expectNoTensorLeak(() => tf.dispose(tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.sub(tf.add(x, y), tf.mul(x, y)), w)))([a, b])));
    tf.dispose([a, b, w]);
  });

  it('accumulates a gradient that reaches one tensor twice, and keeps casting integer operands', async () => {
    await initRuntime({ backend });
    const x = tf.tensor1d([1, -2, 3]);
    const w = tf.tensor1d([0.5, 2, -1]);
    const twice = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.add(v, v), w)))(x);
    expect(Array.from(twice.dataSync())).toEqual([1, 4, -2]);
    const counts = tf.tensor1d([2, 0, 5], 'int32');
    const scaled = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(v, counts)))(x);
    expect(Array.from(scaled.dataSync())).toEqual([2, 0, 5]);
    tf.dispose([x, w, twice, counts, scaled]);
  });
});
