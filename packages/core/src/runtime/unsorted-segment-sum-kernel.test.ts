import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { Embedding } from '../nn/embedding.js';
import { SeededRandom } from '../random/seeded-random.js';
import { initRuntime } from './init-runtime.js';
import { valueAndGrads } from './value-and-grads.js';

describe('UnsortedSegmentSum on wasm', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'wasm' });
  });

  it('scatter-adds rows by segment id, dropping ids out of range', () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    const ids = tf.tensor1d([2, 0, 2, 9], 'int32');
    const out = tf.unsortedSegmentSum(x, ids, 3);
    expect(out.shape).toEqual([3, 2]);
    expect(Array.from(out.dataSync())).toEqual([3, 4, 0, 0, 6, 8]);
    tf.dispose([x, ids, out]);
  });

  it('gives embedding gradients equal to the cpu backend', async () => {
    const gradientOn = async (backend: 'wasm' | 'cpu'): Promise<Float32Array> => {
      await initRuntime({ backend });
      const random = new SeededRandom(3);
      const embedding = new Embedding(50, 8, random);
      const ids = tf.tensor2d(
        [
          [1, 2, 3, 1],
          [49, 0, 1, 2],
        ],
        [2, 4],
        'int32',
      );
      const weights = tf.tensor(random.normalArray(2 * 4 * 8), [2, 4, 8]);
      const { value, grads } = valueAndGrads(() => tf.sum(tf.mul(embedding.forward(ids), weights)), embedding.parameters());
      const data = grads['weight']!.dataSync() as Float32Array;
      tf.dispose([value, ids, weights, ...Object.values(grads)]);
      embedding.dispose();
      return data;
    };
    const onCpu = await gradientOn('cpu');
    const onWasm = await gradientOn('wasm');
    expect(onWasm.length).toBe(50 * 8);
    // Row 1 appears three times: its gradient is the sum of three weight rows, non-zero.
    expect(onWasm.slice(8, 16).some((value) => value !== 0)).toBe(true);
    // Rows never looked up get exactly zero.
    expect(Array.from(onWasm.slice(4 * 8, 5 * 8))).toEqual(new Array(8).fill(0));
    for (let i = 0; i < onCpu.length; i++) expect(onWasm[i]).toBeCloseTo(onCpu[i]!, 5);
  });
});
