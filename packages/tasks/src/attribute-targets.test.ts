import * as tf from '@tensorflow/tfjs-core';
import { AdamW, InvalidConfigError, SeededRandom, valueAndGrads } from '@umd/core';
import { expectStableTensorCount, useBackend } from '@umd/core/testing';
import type { CaptionSample } from '@umd/data';
import { UmdModel } from '@umd/encoders';
import { beforeAll, describe, expect, it } from 'vitest';

import { microTaskConfig, randomTaskBatch } from './__fixtures__/phantom-fixtures.js';
import { withAttributeAgreement } from './evaluate-task.js';
import { finetuneStep } from './finetune-step.js';
import { poolUnimodal } from './pool-unimodal.js';
import { retrievalLosses } from './retrieval-losses.js';
import { scoreRetrieval } from './score-retrieval.js';
import { batchTensors } from './task-batch.js';
import { attributeClasses, attributeTargets } from './task-samples.js';
import type { TaskSpec } from './task-spec.js';
import { createTaskTuning, type AttributeTargetOptions, type RetrievalTuningOptions } from './task-tuning.js';

const vocabSize = 40;
const config = microTaskConfig(vocabSize, { dim: 16, patchSize: 16 });
const classes = { Type: ['CT', 'MR'], Plane: ['Axial', 'Coronal', 'Sagittal'] };

function caption(id: string, attributes?: Record<string, string>): CaptionSample {
  return {
    task: 'caption',
    id,
    dataset: 'medpix',
    split: 'train',
    image: { kind: 'file', path: `/images/${id}.png` },
    imageId: id,
    caption: `caption ${id}`,
    ...(attributes ? { attributes } : {}),
    source: {},
  };
}

function setUp(attributes: AttributeTargetOptions | undefined, retrieval: RetrievalTuningOptions = {}, task: TaskSpec = { kind: 'retrieval' }) {
  const random = new SeededRandom(3);
  const model = new UmdModel(config, random);
  const tuning = createTaskTuning({ model, task, random, retrieval: { projectionDim: 8, ...retrieval }, ...(attributes ? { attributes } : {}) });
  const optimizer = new AdamW(model.parameters(), { learningRate: 5e-3, weightDecay: 0 });
  return { tuning, optimizer, dispose: () => (optimizer.dispose(), model.dispose()) };
}

describe('attribute targets', () => {
  beforeAll(() => useBackend('cpu'));

  it('collects the sorted classes of each field from the training samples and maps a batch to indices (−1 = not counted)', () => {
    const samples = [
      caption('a', { Type: 'MR', Plane: 'Sagittal' }),
      caption('b', { Type: 'CT', Plane: 'Axial' }),
      caption('c', { Type: 'CT' }),
      caption('d'),
      caption('e', { Type: 'MR', Plane: 'Coronal' }),
    ];
    expect(attributeClasses(['Type', 'Plane'], samples)).toEqual(classes);
    expect(attributeTargets(classes, [...samples, caption('f', { Type: 'PET', Plane: 'Axial' })])).toEqual({
      Type: Int32Array.from([1, 0, 0, -1, 1, -1]),
      Plane: Int32Array.from([2, 0, -1, -1, 1, 0]),
    });
    expect(attributeTargets({}, samples)).toBeUndefined();
    expect(() => attributeClasses(['Type', 'Location'], samples)).toThrow(/at least 2 values.*found 0/);
  });

  it('registers heads.attributes only with fields, keeps the fields’ order and classes, and rejects incomplete options', () => {
    const plain = setUp(undefined);
    expect(plain.tuning.heads.attributes).toBeUndefined();
    expect(plain.tuning.attributes).toEqual({ fields: [], weight: 1, classes: {} });
    plain.dispose();
    const withHeads = setUp({ fields: ['Plane', 'Type'], weight: 0.5, classes: { ...classes, Location: ['Head', 'Thorax'] } });
    expect(withHeads.tuning.heads.attributes!.fields).toEqual(['Plane', 'Type']);
    expect(withHeads.tuning.attributes).toEqual({ fields: ['Plane', 'Type'], weight: 0.5, classes: { Plane: classes.Plane, Type: classes.Type } });
    const names = [...withHeads.tuning.model.parameterMap().keys()].filter((name) => name.startsWith('heads.attributes.'));
    expect(names.sort()).toEqual([
      'heads.attributes.field0.bias',
      'heads.attributes.field0.weight',
      'heads.attributes.field1.bias',
      'heads.attributes.field1.weight',
    ]);
    expect(withHeads.tuning.model.parameterMap().get('heads.attributes.field0.weight')!.shape).toEqual([8, 3]);
    withHeads.dispose();
    expect(() => setUp({ fields: ['Type'] })).toThrow(InvalidConfigError);
    expect(() => setUp({ fields: ['Type', 'Type'], classes })).toThrow(/distinct/);
    expect(() => setUp({ fields: ['Type'], weight: -1, classes })).toThrow(/weight/);
    expect(() => setUp({ fields: ['Type'], classes: { Type: ['CT'] } })).toThrow(/at least 2 classes/);
  });

  it('retrieval: adds an attributes term fed by both embeddings, which training lowers; the total is the weighted sum; no leak', async () => {
    const { tuning, optimizer, dispose } = setUp({ fields: ['Type', 'Plane'], weight: 2, classes }, { itmWeight: 0 });
    const batch = randomTaskBatch(new SeededRandom(4), { batchSize: 6, length: 6, vocabSize });
    const attributes = { Type: Int32Array.from([0, 1, 0, 1, -1, 0]), Plane: Int32Array.from([0, 1, 2, 0, 1, -1]) };
    const step = () => finetuneStep(tuning, optimizer, { ...batch, targets: undefined, attributes });
    const values: Record<string, number>[] = [];
    for (let i = 0; i < 30; i++) {
      const { loss, terms } = step();
      values.push(Object.fromEntries([['loss', loss.dataSync()[0]!], ...Object.entries(terms).map(([name, scalar]) => [name, scalar.dataSync()[0]!])]));
      tf.dispose([loss, ...Object.values(terms)]);
    }
    const [first, last] = [values[0]!, values.at(-1)!];
    expect(Object.keys(first).sort()).toEqual(['attributes', 'contrastive', 'itm', 'loss']);
    expect(first.loss).toBeCloseTo(first.contrastive! + 2 * first.attributes!, 4); // itmWeight 0
    expect(first.attributes).toBeGreaterThan(0.5); // about the mean of ln 2 and ln 3 at the start
    expect(last.attributes).toBeLessThan(first.attributes! / 2);
    // The shared classifier reads the image AND the text embedding: the term alone gives both projections a gradient
    // (and nothing to the ITM head).
    const norms = tf.tidy(() => {
      const inputs = batchTensors({ ...batch, attributes }, 'test');
      const { value, grads } = valueAndGrads(
        () => retrievalLosses(tuning, inputs, { ...batch, attributes }, batch.tokenIds).attributes!,
        tuning.model.parameters(),
      );
      value.dispose();
      return Object.fromEntries(Object.entries(grads).map(([name, grad]) => [name, tf.sum(tf.abs(grad)).dataSync()[0]!]));
    });
    expect(norms['heads.retrieval.image.weight']).toBeGreaterThan(0);
    expect(norms['heads.retrieval.text.weight']).toBeGreaterThan(0);
    expect(norms['heads.attributes.field1.weight']).toBeGreaterThan(0);
    expect(norms['heads.itm.weight'] ?? 0).toBe(0);
    // A batch without the targets is a clear error; the step leaks nothing.
    expect(() => finetuneStep(tuning, optimizer, { ...batch, targets: undefined })).toThrow(/batch.attributes\['Type'\]/);
    await expectStableTensorCount(() => {
      const { loss, terms } = step();
      return [loss, ...Object.values(terms)];
    });
    batch.images.dispose();
    dispose();
  });

  it('classification: reads the pooled pair beside the class head; the total is the class loss plus the weighted term', () => {
    const task: TaskSpec = { kind: 'classification', labels: ['head', 'thorax', 'abdomen'] };
    const { tuning, optimizer, dispose } = setUp({ fields: ['Type'], weight: 0.5, classes }, {}, task);
    expect(tuning.model.parameterMap().get('heads.attributes.field0.weight')!.shape).toEqual([32, 2]); // 2·fusion width
    const batch = randomTaskBatch(new SeededRandom(5), { batchSize: 4, length: 6, vocabSize, classes: 3 });
    const { loss, terms } = finetuneStep(tuning, optimizer, { ...batch, attributes: { Type: Int32Array.from([0, 1, 1, -1]) } });
    const [total, classification, attributes] = [loss, terms['classification']!, terms['attributes']!].map((scalar) => scalar.dataSync()[0]!);
    expect(Object.keys(terms).sort()).toEqual(['attributes', 'classification']);
    expect(total).toBeCloseTo(classification! + 0.5 * attributes!, 5);
    tf.dispose([loss, ...Object.values(terms)]);
    batch.images.dispose();
    dispose();
  });

  it('retrieval.attributeAgreement adds λ · Σ_f P(shared value) to the first-stage cosine; it needs attribute heads', async () => {
    const batch = randomTaskBatch(new SeededRandom(6), { batchSize: 5, length: 6, vocabSize });
    const texts = { tokenIds: { data: batch.tokenIds, shape: [5, 6] }, attentionMask: { data: Int32Array.from(batch.attentionMask), shape: [5, 6] } };
    const scoreWith = async (agreement: number, evaluatedWith?: number) => {
      const { tuning: tuned, dispose } = setUp({ fields: ['Type', 'Plane'], classes }, { attributeAgreement: agreement });
      const tuning = withAttributeAgreement(tuned, evaluatedWith); // evaluate.attributeAgreement: another λ, same heads
      const scored = await scoreRetrieval(tuning, batch.images, texts, { topK: 1 });
      // The agreement by hand, from the same embeddings.
      const expected = tf.tidy(() => {
        tuning.model.eval();
        const mask = tf.tensor2d(batch.attentionMask, [5, 6]);
        const embeddings = tuning.heads.retrieval!.forward(
          poolUnimodal(tuning.model.vision.forward(batch.images) as tf.Tensor3D, 'cls'),
          poolUnimodal(tuning.model.text.forward(tf.tensor2d(batch.tokenIds, [5, 6], 'int32'), { attentionMask: mask }) as tf.Tensor3D, 'cls', mask),
        );
        const [image, text] = [tuning.heads.attributes!.forward(embeddings.image), tuning.heads.attributes!.forward(embeddings.text)];
        return image
          .map((logits, f) => tf.matMul(tf.softmax(logits), tf.softmax(text[f]!), false, true))
          .reduce((a, b) => tf.add(a, b))
          .dataSync();
      });
      dispose();
      return { similarity: scored.similarity, agreement: Float32Array.from(expected) };
    };
    const [plain, weighted, evaluated] = [await scoreWith(0), await scoreWith(0.7), await scoreWith(0, 0.7)];
    plain.similarity.forEach((cosine, k) => expect(weighted.similarity[k]).toBeCloseTo(cosine + 0.7 * weighted.agreement[k]!, 4));
    expect(evaluated.similarity).toEqual(weighted.similarity);
    const { tuning: headless, dispose } = setUp(undefined, {});
    expect(() => withAttributeAgreement(headless, 0.5)).toThrow(/attribute heads/);
    expect(withAttributeAgreement(headless, 0).retrieval.attributeAgreement).toBe(0);
    dispose();
    expect(Math.max(...weighted.agreement)).toBeLessThanOrEqual(2 + 1e-5); // at most one per field
    expect(() => setUp(undefined, { attributeAgreement: 0.5 })).toThrow(/attributeAgreement/);
    batch.images.dispose();
  });
});
