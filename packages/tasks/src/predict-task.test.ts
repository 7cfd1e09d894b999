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

  it('with an image-only head, the logits are the log of the blended probabilities: λ 0 the fused head, λ 1 the image head', async () => {
    const random = new SeededRandom(3);
    const model = new UmdModel(microTaskConfig(40, { dim: 16, patchSize: 16 }), random);
    const tuning = createTaskTuning({ model, task: { kind: 'classification', labels: ['a', 'b', 'c'] }, random, imageHead: { blend: 0.3 } });
    expect(model.heads.get('imageClassifier')).toBeDefined();
    expect(tuning.imageHead).toEqual({ weight: 1, blend: 0.3 });
    const batch = randomTaskBatch(random, { batchSize: 5, length: 6, vocabSize: 40 });
    const probabilities = (blend: number): number[][] =>
      tf.tidy(() => tf.softmax(taskLogits({ ...tuning, imageHead: { weight: 1, blend } }, batch)).arraySync() as number[][]);
    const [fused, image, blended] = [probabilities(0), probabilities(1), probabilities(0.3)];
    const reference = tf.tidy(() => {
      model.eval();
      const out = model.forward({
        images: batch.images,
        tokenIds: tf.tensor2d(batch.tokenIds, [5, 6], 'int32'),
        attentionMask: tf.tensor2d(batch.attentionMask, [5, 6]),
        pooling: tuning.pooling,
      });
      const values = [tf.softmax(tuning.classify!(out.fusion.pooled)), tf.softmax(tuning.heads.imageClassifier!.forward(tf.mean(out.vision, 1)))].map(
        (p) => p.arraySync() as number[][],
      );
      model.train();
      return values;
    });
    for (let b = 0; b < 5; b++) {
      for (let k = 0; k < 3; k++) {
        expect(fused[b]![k]).toBeCloseTo(reference[0]![b]![k]!, 5);
        expect(image[b]![k]).toBeCloseTo(reference[1]![b]![k]!, 5);
        expect(blended[b]![k]).toBeCloseTo(0.7 * fused[b]![k]! + 0.3 * image[b]![k]!, 5);
      }
    }
    expect(image).not.toEqual(fused);
    await expectNoTensorLeak(() => void predictTask(tuning, batch));
    batch.images.dispose();
    model.dispose();
  });

  it('refuses an image-only head on retrieval, and a blend outside [0, 1]', () => {
    const random = new SeededRandom(4);
    const model = new UmdModel(microTaskConfig(40, { dim: 16, patchSize: 16 }), random);
    expect(() => createTaskTuning({ model, task: { kind: 'retrieval' }, random, imageHead: {} })).toThrow(/imageHead/);
    expect(() => createTaskTuning({ model, task: { kind: 'vqa', answers: ['yes', 'no'] }, random, imageHead: { blend: 1.5 } })).toThrow(/imageHead.blend/);
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
