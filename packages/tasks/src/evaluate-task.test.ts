import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { CheckpointMismatchError, InvalidConfigError, Linear, saveCheckpoint, SeededRandom } from '@umd/core';
import { useBackend } from '@umd/core/testing';
import { createImagePipeline, type ClassificationSample, type VqaSample } from '@umd/data';
import { UmdModel } from '@umd/encoders';
import { beforeAll, describe, expect, it } from 'vitest';

import { microTaskConfig, phantomSplits, textTokenizer } from './__fixtures__/phantom-fixtures.js';
import { evaluateTask, evaluateTuning, evaluationViewCrops, loadTaskTuning } from './evaluate-task.js';
import { predictTask, taskLogits } from './predict-task.js';
import { createTaskCollate } from './task-collate.js';
import { createTaskTuning } from './task-tuning.js';

describe('evaluateTask', () => {
  beforeAll(() => useBackend('cpu'));

  const vqa = phantomSplits('vqa', { train: 0, validate: 6 }).validate;
  const classification = phantomSplits('classification', { train: 0, validate: 12 }).validate;
  const tokenizer = textTokenizer([...vqa.map((s) => s.question), ...classification.map((s) => s.text)]);
  const config = microTaskConfig(tokenizer.vocabSize, { dim: 16, patchSize: 16 });

  /** The predictions the model makes for `samples`, straight from predictTask on one batch. */
  async function predictAll(tuning: Parameters<typeof predictTask>[0], samples: readonly (VqaSample | ClassificationSample)[]): Promise<Int32Array> {
    const collate = createTaskCollate({ pipeline: createImagePipeline({ size: 32, channels: 1 }), tokenizer, maxLength: tuning.model.text.maxLength });
    const batch = await collate(samples);
    const images = tf.tensor4d(batch.images.data, batch.images.shape as [number, number, number, number]);
    const predictions = predictTask(tuning, { images, tokenIds: batch.inputIds.data, attentionMask: batch.attentionMask.data, wordIds: batch.wordIds.data });
    images.dispose();
    return predictions;
  }

  it('VQA: scores the predicted answers; answers outside the vocabulary are counted and never correct', async () => {
    const random = new SeededRandom(1);
    const model = new UmdModel(config, random);
    const answers = ['no', 'yes', 'ct']; // "mri", organs, sizes… are outside
    const tuning = createTaskTuning({ model, task: { kind: 'vqa', answers }, random });
    const result = await evaluateTask({ tuning, samples: vqa, tokenizer, batchSize: 4 });
    const predicted = await predictAll(tuning, vqa);
    expect(result.predictions.map((p) => p.kind === 'vqa' && p.prediction)).toEqual(Array.from(predicted, (k) => answers[k]));
    const correct = vqa.filter((sample, i) => answers[predicted[i]!] === sample.answer).length;
    expect(result.metric).toBeCloseTo(correct / vqa.length, 10);
    expect(result.metrics.kind === 'vqa' && result.metrics.outsideVocabulary).toBe(vqa.filter((s) => !answers.includes(s.answer)).length);
    expect(result.metrics.kind === 'vqa' && result.metrics.open.total + result.metrics.closed.total).toBe(vqa.length);
    expect(result.predictions.filter((p) => p.kind === 'vqa' && p.correct && !answers.includes(p.answer))).toEqual([]);
    model.dispose();
  });

  it('VQA with an answer-type gate: each question answers among the classes of its predicted type', async () => {
    const random = new SeededRandom(1);
    const model = new UmdModel(config, random);
    const answers = ['no', 'yes', 'ct'];
    const tuning = createTaskTuning({ model, task: { kind: 'vqa', answers }, random });
    const plain = await predictAll(tuning, vqa);
    // A gate whose "closed" questions may only answer `ct` and whose open ones only the class the plain model did not
    // pick for the first question: every prediction must follow it, whatever the logits say.
    const other = (plain[0]! + 1) % 3;
    const gate = {
      closedClass: [false, false, true],
      openClass: answers.map((_, k) => k === other),
      trainingAccuracy: 1,
      closedProbability: (question: string) => (question === vqa[0]!.question ? 0 : 1),
    };
    const result = await evaluateTask({ tuning, samples: vqa, tokenizer, batchSize: 4, answerTypeGate: gate });
    expect(result.predictions.map((p) => p.kind === 'vqa' && p.prediction)).toEqual(
      vqa.map((sample) => (sample.question === vqa[0]!.question ? answers[other] : 'ct')),
    );
    model.dispose();
  });

  it('VQA with answer choices: a question offering two named classes answers among them, every other keeps its argmax', async () => {
    const random = new SeededRandom(1);
    const model = new UmdModel(config, random);
    const answers = ['no', 'yes', 'ct', 'mri'];
    const tuning = createTaskTuning({ model, task: { kind: 'vqa', answers }, random });
    const samples = vqa.map((sample, i) => (i === 0 ? { ...sample, question: 'Is this a CT or an MRI?' } : sample));
    const collate = createTaskCollate({ pipeline: createImagePipeline({ size: 32, channels: 1 }), tokenizer, maxLength: tuning.model.text.maxLength });
    const batch = await collate(samples);
    const images = tf.tensor4d(batch.images.data, batch.images.shape as [number, number, number, number]);
    const logits = taskLogits(tuning, { images, tokenIds: batch.inputIds.data, attentionMask: batch.attentionMask.data, wordIds: batch.wordIds.data });
    const rows = logits.arraySync();
    tf.dispose([images, logits]);
    const plain = await predictAll(tuning, samples);
    const before = tf.memory().numTensors;
    const result = await evaluateTask({ tuning, samples, tokenizer, batchSize: 4, answerChoices: true });
    expect(tf.memory().numTensors).toBe(before);
    const predictions = result.predictions.map((p) => p.kind === 'vqa' && p.prediction);
    expect(predictions[0]).toBe(rows[0]![2]! > rows[0]![3]! ? 'ct' : 'mri');
    expect(predictions.slice(1)).toEqual(Array.from(plain.slice(1), (k) => answers[k]));
    model.dispose();
  });

  it('classification: accuracy over every sample (unknown labels count as wrong) and macro-F1 over the known ones', async () => {
    const random = new SeededRandom(2);
    const model = new UmdModel(config, random);
    const labels = ['normal', 'liver', 'heart', 'spleen', 'left lung']; // 'right lung' is not a class here
    const tuning = createTaskTuning({ model, task: { kind: 'classification', labels }, random });
    const result = await evaluateTask({ tuning, samples: classification, tokenizer, batchSize: 5 });
    const predicted = await predictAll(tuning, classification);
    const correct = classification.filter((sample, i) => labels[predicted[i]!] === sample.label).length;
    expect(result.metric).toBeCloseTo(correct / classification.length, 10);
    if (result.metrics.kind !== 'classification') throw new Error('expected classification metrics');
    expect(result.metrics.outsideLabels).toBe(classification.filter((s) => !labels.includes(s.label)).length);
    expect(result.metrics.confusion.flat().reduce((a, b) => a + b, 0)).toBe(classification.length - result.metrics.outsideLabels);
    expect(Number.isFinite(result.metrics.macroF1)).toBe(true);
    model.dispose();
  });

  it('with more views, predicts the argmax of the class probabilities averaged over the views', async () => {
    const random = new SeededRandom(3);
    const model = new UmdModel(config, random);
    const labels = ['normal', 'liver', 'heart', 'spleen', 'left lung'];
    const tuning = createTaskTuning({ model, task: { kind: 'classification', labels }, random });
    // Two views that differ in every pixel: the same crop, two normalisations.
    const views = [createImagePipeline({ size: 32, channels: 1 }), createImagePipeline({ size: 32, channels: 1, normalization: { mean: [0], std: [0.002] } })];
    const probabilities = await Promise.all(
      views.map(async (pipeline) => {
        const batch = await createTaskCollate({ pipeline, tokenizer, maxLength: model.text.maxLength })(classification);
        const images = tf.tensor4d(batch.images.data, batch.images.shape as [number, number, number, number]);
        const logits = taskLogits(tuning, { images, tokenIds: batch.inputIds.data, attentionMask: batch.attentionMask.data, wordIds: batch.wordIds.data });
        const rows = tf.tidy(() => tf.softmax(logits).arraySync());
        tf.dispose([images, logits]);
        return rows;
      }),
    );
    const expected = classification.map((_, i) => {
      const mean = labels.map((_, k) => (probabilities[0]![i]![k]! + probabilities[1]![i]![k]!) / 2);
      return labels[mean.indexOf(Math.max(...mean))];
    });
    expect(probabilities[1], 'the views differ').not.toEqual(probabilities[0]);
    const before = tf.memory().numTensors;
    const result = await evaluateTuning(tuning, classification, { pipeline: views[0]!, views: [views[1]!], tokenizer, batchSize: 5 });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.predictions.map((p) => p.kind === 'classification' && p.prediction)).toEqual(expected);
    // Every view is read (every sample at least once).
    let loads = 0;
    const counted = createImagePipeline({ size: 32, channels: 1 });
    const load = counted.load.bind(counted);
    counted.load = (source, options) => ((loads += 1), load(source, options));
    await evaluateTuning(tuning, classification, { pipeline: views[0]!, views: [counted], tokenizer, batchSize: 5 });
    expect(loads).toBeGreaterThanOrEqual(classification.length);
    // Square images: the three crops of `views: 3` are one crop, so the predictions are those of the centre crop alone.
    const three = await evaluateTask({ tuning, samples: classification, tokenizer, batchSize: 5, views: 3 });
    const one = await evaluateTask({ tuning, samples: classification, tokenizer, batchSize: 5 });
    expect(three.predictions).toEqual(one.predictions);
    expect(evaluationViewCrops(3)).toEqual([{ kind: 'centre' }, { kind: 'window', position: 0 }, { kind: 'window', position: 1 }]);
    expect(() => evaluationViewCrops(2 as 3)).toThrow(InvalidConfigError);
    model.dispose();
  });

  it('rebuilds an image-only head from a checkpoint with its blend, and imageBlend replaces the blend at evaluation', async () => {
    const random = new SeededRandom(5);
    const model = new UmdModel(config, random);
    const labels = ['normal', 'liver', 'heart', 'spleen', 'left lung'];
    const task = { kind: 'classification', labels } as const;
    const tuning = createTaskTuning({ model, task, random, imageHead: { weight: 1, blend: 0.4 } });
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'umd-tasks-')), 'tuned.safetensors');
    await saveCheckpoint(file, { weights: model.parameterMap(), metadata: { step: 1, config: { model: config, task, imageHead: tuning.imageHead } } });
    const { tuning: loaded } = await loadTaskTuning(file);
    expect(loaded.imageHead).toEqual({ weight: 1, blend: 0.4 });
    expect(loaded.heads.imageClassifier).toBeDefined();
    loaded.model.dispose();
    for (const blend of [0, 0.4, 1]) {
      const fromFile = await evaluateTask({ checkpoint: file, samples: classification, tokenizer, batchSize: 5, imageBlend: blend });
      const inMemory = await predictAll({ ...tuning, imageHead: { weight: 1, blend } }, classification);
      expect(fromFile.predictions.map((p) => p.kind === 'classification' && p.prediction)).toEqual(Array.from(inMemory, (k) => labels[k]));
    }
    const plain = createTaskTuning({ model: new UmdModel(config, new SeededRandom(6)), task, random: new SeededRandom(7) });
    await expect(evaluateTask({ tuning: plain, samples: classification, tokenizer, imageBlend: 0.5 })).rejects.toThrow(/imageBlend/);
    plain.model.dispose();
    model.dispose();
  });

  it('loadTaskTuning skips heads that only served during tuning (a reconstruction regularizer) and nothing else', async () => {
    const task = { kind: 'vqa', answers: ['yes', 'no'] } as const;
    const model = new UmdModel(config, new SeededRandom(1));
    createTaskTuning({ model, task, random: new SeededRandom(2) });
    model.heads.register('mimDecoder', new Linear(4, 4, new SeededRandom(3))); // as TD-Calib's regularizer leaves it
    const dir = mkdtempSync(path.join(tmpdir(), 'umd-tasks-'));
    const file = path.join(dir, 'tuned.safetensors');
    await saveCheckpoint(file, { weights: model.parameterMap(), metadata: { step: 1, config: { model: config, task } } });
    const { tuning } = await loadTaskTuning(file);
    expect([...tuning.model.parameterMap().keys()].some((name) => name.startsWith('heads.mimDecoder'))).toBe(false);
    expect(tuning.model.parameterMap().size).toBe(model.parameterMap().size - 2); // all but the decoder's weight and bias
    tuning.model.dispose();

    const stray = new Map(model.parameterMap());
    stray.set('vision.stray', tf.zeros([2]) as tf.Variable);
    const strayFile = path.join(dir, 'stray.safetensors');
    await saveCheckpoint(strayFile, { weights: stray, metadata: { step: 1, config: { model: config, task } } });
    await expect(loadTaskTuning(strayFile)).rejects.toBeInstanceOf(CheckpointMismatchError);
    tf.dispose(stray.get('vision.stray')!);
    model.dispose();
  });

  it('rejects a missing or double model, samples of another task and an empty split', async () => {
    const random = new SeededRandom(3);
    const model = new UmdModel(config, random);
    const tuning = createTaskTuning({ model, task: { kind: 'vqa', answers: ['yes', 'no'] }, random });
    await expect(evaluateTask({ samples: vqa, tokenizer })).rejects.toThrow(InvalidConfigError);
    await expect(evaluateTask({ tuning, checkpoint: 'x.safetensors', samples: vqa, tokenizer })).rejects.toThrow(/exactly one/);
    await expect(evaluateTask({ tuning, samples: classification, tokenizer })).rejects.toThrow(/'vqa' samples/);
    await expect(evaluateTask({ tuning, samples: [], tokenizer })).rejects.toThrow(/at least one sample/);
    model.dispose();
  });
});
