import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { SeededRandom } from '../random/seeded-random.js';
import { initRuntime } from './init-runtime.js';

/** The gradient tfjs-core itself defines (transpose flags), evaluated directly: the reference. */
function stockGradients(a: tf.Tensor, b: tf.Tensor, dy: tf.Tensor, ta: boolean, tb: boolean): [tf.Tensor, tf.Tensor] {
  if (!ta && !tb) return [tf.matMul(dy, b, false, true), tf.matMul(a, dy, true, false)];
  if (!ta && tb) return [tf.matMul(dy, b, false, false), tf.matMul(dy, a, true, false)];
  if (ta && !tb) return [tf.matMul(b, dy, false, true), tf.matMul(a, dy, false, false)];
  return [tf.matMul(b, dy, true, true), tf.matMul(dy, a, true, true)];
}

const shapes: { batch: number[]; m: number; k: number; n: number }[] = [
  { batch: [], m: 7, k: 5, n: 3 },
  { batch: [4], m: 16, k: 9, n: 12 },
  { batch: [2, 3], m: 8, k: 8, n: 5 },
  { batch: [1], m: 33, k: 17, n: 65 },
];

describe.each(['wasm', 'cpu'] as const)('matMul gradient on %s', (backend) => {
  beforeAll(async () => {
    await initRuntime({ backend });
  });

  for (const { batch, m, k, n } of shapes) {
    for (const [ta, tb] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      it(`is tfjs' transpose-flag gradient for batch [${batch}] ${m}x${k}x${n}, transposeA=${ta}, transposeB=${tb}`, () => {
        const random = new SeededRandom(`${batch}-${m}-${ta}-${tb}`);
        const aShape = [...batch, ...(ta ? [k, m] : [m, k])];
        const bShape = [...batch, ...(tb ? [n, k] : [k, n])];
        const a = tf.tensor(random.normalArray(aShape.reduce((x, y) => x * y, 1)), aShape);
        const b = tf.tensor(random.normalArray(bShape.reduce((x, y) => x * y, 1)), bShape);
        const dy = tf.tensor(random.normalArray([...batch, m, n].reduce((x, y) => x * y, 1)), [...batch, m, n]);
        const [gotA, gotB] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, ta, tb))([a, b], dy);
        const [wantA, wantB] = stockGradients(a, b, dy, ta, tb);
        expect(gotA!.shape).toEqual(aShape);
        expect(gotB!.shape).toEqual(bShape);
        // The same kernels on the same inputs: bit-identical.
        expect(Array.from(gotA!.dataSync())).toEqual(Array.from(wantA.dataSync()));
        expect(Array.from(gotB!.dataSync())).toEqual(Array.from(wantB.dataSync()));
        tf.dispose([a, b, dy, gotA!, gotB!, wantA, wantB]);
      });
    }
  }

  it('sums broadcast batch dimensions back to each input shape', () => {
    const a = tf.ones([2, 3, 4, 5]);
    const b = tf.ones([5, 6]);
    const [gradA, gradB] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y))([a, b]);
    expect(gradA!.shape).toEqual([2, 3, 4, 5]);
    expect(gradB!.shape).toEqual([5, 6]);
    // d(sum(A·B))/dB[k, n] = Σ over batch and rows of A = 2·3·4
    expect(Array.from(gradB!.dataSync()).every((value) => value === 24)).toBe(true);
    tf.dispose([a, b, gradA!, gradB!]);
  });
});
