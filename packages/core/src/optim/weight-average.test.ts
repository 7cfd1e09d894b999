import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { Linear } from '../nn/linear.js';
import { SeededRandom } from '../random/seeded-random.js';
import { initRuntime } from '../runtime/init-runtime.js';
import { expectNoTensorLeak } from '../testing/expect-no-tensor-leak.js';
import { WeightAverage } from './weight-average.js';

describe('WeightAverage (Polyak averaging of weights)', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'cpu' });
  });

  it('follows a ← d·a + (1 − d)·w with the (1 + t) / (10 + t) warm-up, and swap exchanges averaged and live weights', async () => {
    const model = new Linear(2, 1, new SeededRandom(1));
    const average = new WeightAverage(model.parameterMap(), 0.5);
    const expected = Array.from(model.weight.dataSync());
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    for (const [t, value] of values.entries()) {
      model.weight.assign(tf.fill([2, 1], value));
      average.update();
      const d = Math.min(0.5, (1 + t) / (10 + t));
      for (let i = 0; i < expected.length; i++) expected[i] = d * expected[i]! + (1 - d) * value;
    }
    expect(average.updates).toBe(values.length);
    average.swap();
    const averaged = Array.from(model.weight.dataSync());
    averaged.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 4));
    average.swap();
    expect(Array.from(model.weight.dataSync())).toEqual([12, 12]);
    // The averaged weights ride in checkpoints under names without dots; the model's are untouched by withAverage.
    expect([...average.parameterMap().keys()]).toEqual(['weight', 'bias', 'updates']);
    const seen = await average.withAverage(async () => Array.from(model.weight.dataSync()));
    expect(seen).toEqual(averaged);
    expect(Array.from(model.weight.dataSync())).toEqual([12, 12]);
    await expectNoTensorLeak(() => average.update());
    expect(() => new WeightAverage(model.parameterMap(), 1)).toThrow(/weightAverage\.decay/);
    average.dispose();
    model.dispose();
  });
});
