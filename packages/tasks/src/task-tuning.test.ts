import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, SeededRandom } from '@umd/core';
import { expectNoTensorLeak, useBackend } from '@umd/core/testing';
import { UmdModel } from '@umd/encoders';
import { beforeAll, describe, expect, it } from 'vitest';

import { microTaskConfig, randomTaskBatch } from './__fixtures__/phantom-fixtures.js';
import { taskLogits } from './predict-task.js';
import { createTaskTuning } from './task-tuning.js';

const config = microTaskConfig(40, { dim: 16, patchSize: 16 });
const D = config.fusion.dim;

describe('createTaskTuning', () => {
  beforeAll(() => useBackend('cpu'));

  it('registers heads.vqa: M3AE’s Linear(2D → 4D) → LayerNorm → GELU → Linear(→ K) on the pooled pair', async () => {
    const random = new SeededRandom(1);
    const model = new UmdModel(config, random);
    const tuning = createTaskTuning({ model, task: { kind: 'vqa', answers: ['yes', 'no', 'ct'] }, random });
    expect(model.heads.names()).toEqual(['vqa']);
    const shapes = Object.fromEntries(
      model
        .parameters()
        .filter((p) => p.name.startsWith('heads.'))
        .map((p) => [p.name, p.variable.shape]),
    );
    expect(shapes).toEqual({
      'heads.vqa.fc1.weight': [2 * D, 4 * D],
      'heads.vqa.fc1.bias': [4 * D],
      'heads.vqa.norm.weight': [4 * D],
      'heads.vqa.norm.bias': [4 * D],
      'heads.vqa.fc2.weight': [4 * D, 3],
      'heads.vqa.fc2.bias': [3],
    });
    const batch = randomTaskBatch(random, { batchSize: 5, length: 7, vocabSize: 40 });
    taskLogits(tuning, batch).dispose(); // the first pass caches the ViT's sin-cos table (freed by model.dispose())
    await expectNoTensorLeak(() => {
      const logits = taskLogits(tuning, batch);
      expect(logits.shape).toEqual([5, 3]);
      return logits;
    });
    batch.images.dispose();
    model.dispose();
  });

  it('registers heads.classifier with a 2D hidden layer for classification', () => {
    const random = new SeededRandom(2);
    const model = new UmdModel(config, random);
    const tuning = createTaskTuning({ model, task: { kind: 'classification', labels: ['head', 'thorax', 'abdomen', 'spine', 'pelvis'] }, random });
    expect(model.heads.names()).toEqual(['classifier']);
    expect(tuning.numClasses).toBe(5);
    expect(model.parameterMap().get('heads.classifier.fc1.weight')!.shape).toEqual([2 * D, 2 * D]);
    expect(model.parameterMap().get('heads.classifier.fc2.weight')!.shape).toEqual([2 * D, 5]);
    const pooled = tf.randomNormal([3, 2 * D]) as tf.Tensor2D;
    const logits = tuning.classify!(pooled);
    expect(logits.shape).toEqual([3, 5]);
    tf.dispose([pooled, logits]);
    model.dispose();
  });

  it('registers heads.itm (2 classes on the pooled pair) and heads.retrieval (unit-length projections) for retrieval', () => {
    const random = new SeededRandom(3);
    const model = new UmdModel(config, random);
    const tuning = createTaskTuning({ model, task: { kind: 'retrieval' }, random, retrieval: { projectionDim: 8 } });
    expect(model.heads.names()).toEqual(['itm', 'retrieval']);
    expect(tuning.classify).toBeUndefined();
    const itm = tuning.heads.itm!.forward(tf.randomNormal([4, 2 * D]));
    expect(itm.shape).toEqual([4, 2]);
    const embeddings = tuning.heads.retrieval!.forward(tf.randomNormal([4, config.vision.dim]), tf.randomNormal([4, config.text.dim]));
    expect(embeddings.image.shape).toEqual([4, 8]);
    expect(embeddings.text.shape).toEqual([4, 8]);
    for (const norm of tf.norm(embeddings.image, 'euclidean', 1).arraySync() as number[]) expect(norm).toBeCloseTo(1, 5);
    tf.dispose([itm, embeddings.image, embeddings.text]);
    model.dispose();
  });

  it('rejects invalid tasks and a second tuning of the same model', () => {
    const random = new SeededRandom(4);
    const model = new UmdModel(config, random);
    expect(() => createTaskTuning({ model, task: { kind: 'vqa', answers: ['yes'] }, random })).toThrow(InvalidConfigError);
    expect(() => createTaskTuning({ model, task: { kind: 'vqa', answers: ['yes', 'yes'] }, random })).toThrow(/each class name once/);
    expect(() => createTaskTuning({ model, task: { kind: 'segmentation' } as never, random })).toThrow(/'vqa', 'classification', 'retrieval'/);
    createTaskTuning({ model, task: { kind: 'vqa', answers: ['yes', 'no'] }, random });
    expect(() => createTaskTuning({ model, task: { kind: 'vqa', answers: ['yes', 'no'] }, random })).toThrow(/without a 'vqa' head/);
    model.dispose();
  });
});
