import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@umd/core';
import { useBackend } from '@umd/core/testing';
import { UmdModel } from '@umd/encoders';
import { beforeAll, describe, expect, it } from 'vitest';

import { microTaskConfig, randomTaskBatch, textTokenizer } from './__fixtures__/phantom-fixtures.js';
import { relevanceMap } from './relevance-map.js';
import { createTaskTuning } from './task-tuning.js';

describe('relevanceMap (gradient × input over patches)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('gives one finite value per patch and sample, depends on the class explained, and leaves no tensor behind', () => {
    const random = new SeededRandom(3);
    const tokenizer = textTokenizer(['a b c']);
    const model = new UmdModel(microTaskConfig(tokenizer.vocabSize), random);
    const tuning = createTaskTuning({ model, task: { kind: 'classification', labels: ['a', 'b', 'c'] }, random, pooling: 'mean' });
    const batch = randomTaskBatch(random, { batchSize: 2, length: 6, vocabSize: tokenizer.vocabSize, classes: 3 });
    relevanceMap(tuning, batch); // the first forward pass caches the position table
    const before = tf.memory().numTensors;
    const map = relevanceMap(tuning, batch);
    expect(tf.memory().numTensors).toBe(before);
    expect(map.grid).toEqual([4, 4]);
    expect(map.values).toHaveLength(2 * 16);
    expect(Array.from(map.values).every(Number.isFinite)).toBe(true);
    expect(Array.from(map.values).some((value) => value !== 0)).toBe(true);
    // Explaining another class gives another map.
    const other = relevanceMap(tuning, batch, Int32Array.from(map.classes, (c) => (c + 1) % 3));
    expect(Array.from(other.values)).not.toEqual(Array.from(map.values));
    expect(() => relevanceMap(tuning, batch, new Int32Array(3))).toThrow(/classes/);
    batch.images.dispose();
    model.dispose();
  });

});
