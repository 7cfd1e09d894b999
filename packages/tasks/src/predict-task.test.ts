import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, SeededRandom } from '@umd/core';
import { expectNoTensorLeak, useBackend } from '@umd/core/testing';
import { UmdModel } from '@umd/encoders';
import { beforeAll, describe, expect, it } from 'vitest';

import { microTaskConfig, randomTaskBatch } from './__fixtures__/phantom-fixtures.js';
import { predictTask, taskLogits } from './predict-task.js';
import { createTaskTuning } from './task-tuning.js';

describe('predictTask', () => {
  beforeAll(() => useBackend('cpu'));

  it('returns the argmax class of every sample, in evaluation mode, leaving no tensor behind', async () => {
    const random = new SeededRandom(1);
    // Dropout on: predictions must not depend on it (the model runs in evaluation mode).
    const base = microTaskConfig(40, { dim: 16, patchSize: 16 });
    const model = new UmdModel({ ...base, fusion: { ...base.fusion, dropout: 0.5 } }, random);
    const tuning = createTaskTuning({ model, task: { kind: 'classification', labels: ['a', 'b', 'c', 'd'] }, random });
    const batch = randomTaskBatch(random, { batchSize: 6, length: 7, vocabSize: 40 });
    const logits = taskLogits(tuning, batch);
    const expected = Int32Array.from(tf.argMax(logits, 1).dataSync());
    logits.dispose();
    await expectNoTensorLeak(() => {
      const predictions = predictTask(tuning, batch);
      expect(predictions).toEqual(expected);
      expect(predictTask(tuning, batch)).toEqual(expected);
    });
    expect(model.training).toBe(true);
    batch.images.dispose();
    model.dispose();
  });

  it('refuses retrieval tunings (they are scored pairwise)', () => {
    const random = new SeededRandom(2);
    const model = new UmdModel(microTaskConfig(40, { dim: 16, patchSize: 16 }), random);
    const tuning = createTaskTuning({ model, task: { kind: 'retrieval' }, random });
    const batch = randomTaskBatch(random, { batchSize: 2, length: 5, vocabSize: 40 });
    expect(() => predictTask(tuning, batch)).toThrow(InvalidConfigError);
    batch.images.dispose();
    model.dispose();
  });
});
