import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, readCheckpoint } from '@umd/core';
import { useBackend } from '@umd/core/testing';
import { buildAnswerVocabulary, type VqaSample, type WordPieceTokenizer } from '@umd/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { microTaskConfig, phantomSplits, textTokenizer } from './__fixtures__/phantom-fixtures.js';
import { exportModelBundle } from './bundle/export-model-bundle.js';
import { loadModelBundle } from './bundle/load-model-bundle.js';
import { evaluateTask } from './evaluate-task.js';
import { runTaskTuning, type RunTaskTuningOptions, type TaskTuningEvent, type TaskTuningRun } from './run-task-tuning.js';

async function readLines(file: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(file, 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
const withoutTimes = (lines: Record<string, unknown>[]): Record<string, unknown>[] =>
  lines.map(({ ms: _ms, ...rest }) => (rest['metrics'] ? { ...rest, metrics: { ...(rest['metrics'] as object), ...{ firstStageMs: 0, rerankMs: 0 } } } : rest));

describe('runTaskTuning (phantom, micro model)', () => {
  let root: string;
  let vqa: { train: readonly VqaSample[]; validate: readonly VqaSample[] };
  let tokenizer: WordPieceTokenizer;
  let answers: readonly string[];

  beforeAll(async () => {
    await useBackend('cpu');
    root = await mkdtemp(path.join(os.tmpdir(), 'tasks-run-'));
    vqa = phantomSplits('vqa', { train: 8, validate: 4 });
    const captions = phantomSplits('caption', { train: 8, validate: 4 });
    tokenizer = textTokenizer([...vqa.train, ...vqa.validate].map((s) => s.question).concat([...captions.train, ...captions.validate].map((s) => s.caption)));
    answers = buildAnswerVocabulary({ train: vqa.train }).answers;
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const vqaOptions = (outDir: string, overrides: Partial<RunTaskTuningOptions> = {}): RunTaskTuningOptions => ({
    task: { kind: 'vqa', answers },
    train: vqa.train,
    validation: vqa.validate,
    tokenizer,
    modelConfig: microTaskConfig(tokenizer.vocabSize, { dim: 16, patchSize: 16 }),
    batchSize: 8,
    epochs: 2,
    learningRate: { base: 1e-3, multipliers: { heads: 2, fusion: 1 } },
    seed: 4,
    outDir,
    evaluateEvery: 3,
    checkpointEvery: 2,
    gmCoord: { alpha: 0.5 }, // OGM-GE with GE noise: its state and noise must resume exactly too
    ...overrides,
  });

  it('trains, evaluates, keeps the best validation checkpoint, and resumes with the same losses', async () => {
    const startTensors = tf.memory().numTensors;
    const whole = path.join(root, 'whole');
    const events: TaskTuningEvent[] = [];
    const run = await runTaskTuning(vqaOptions(whole, { onEvent: (event) => events.push(event) }));
    const stepsPerEpoch = Math.floor(vqa.train.length / 8);
    expect(run).toMatchObject({ step: 2 * stepsPerEpoch, reason: 'completed', totalSteps: 2 * stepsPerEpoch, stepsPerEpoch });
    expect(tf.memory().numTensors).toBe(startTensors);

    const metrics = await readLines(run.metricsPath);
    expect(metrics.map((line) => line['step'])).toEqual(Array.from({ length: run.totalSteps }, (_, i) => i + 1));
    for (const line of metrics) expect(Number.isFinite(line['vqa']) && line['loss'] === line['vqa']).toBe(true);
    // Validation every 3 steps and at every epoch's end.
    const evaluated = [...new Set([3, 6, 9, stepsPerEpoch, 2 * stepsPerEpoch].filter((step) => step <= run.totalSteps))].sort((a, b) => a - b);
    expect(run.history.map((entry) => entry.step)).toEqual(evaluated);
    expect(events.filter((event) => event.type === 'evaluation-end').map((event) => event.step)).toEqual(evaluated);
    const bestMetric = Math.max(...run.history.map((entry) => entry.metric));
    expect(run.best!.metric).toBe(bestMetric);
    expect(run.best!.step).toBe(run.history.find((entry) => entry.metric === bestMetric)!.step); // the first pass reaching it
    expect(run.best!.predictions).toHaveLength(vqa.validate.length);
    expect(run.best!.metrics.kind === 'vqa' && run.best!.metrics.overall.total).toBe(vqa.validate.length);
    const coordination = await readLines(run.coordinationPath!);
    expect(coordination).toHaveLength(run.totalSteps);
    expect(Object.keys(coordination[0]!['coefficients'] as object).sort()).toEqual(['text', 'vision']);

    // The best checkpoint holds the model of the best pass: evaluating it reproduces that pass exactly.
    const again = await evaluateTask({ checkpoint: run.bestCheckpoint!, samples: vqa.validate, tokenizer, batchSize: 16 });
    expect(again.metric).toBe(run.best!.metric);
    expect(again.predictions).toEqual(run.best!.predictions);
    expect(tf.memory().numTensors).toBe(startTensors);

    // Interrupted after step 3 (a checkpoint is written on abort), then resumed: everything after matches the whole run.
    const split = path.join(root, 'split');
    const controller = new AbortController();
    const first = await runTaskTuning(
      vqaOptions(split, { onEvent: (event) => event.type === 'step-end' && event.step === 3 && controller.abort(), signal: controller.signal }),
    );
    expect(first).toMatchObject({ step: 3, reason: 'aborted' });
    const second = await runTaskTuning(vqaOptions(split, { resume: true }));
    expect(second).toMatchObject({ step: run.totalSteps, reason: 'completed' });
    expect(withoutTimes(await readLines(second.metricsPath))).toEqual(withoutTimes(metrics));
    expect(withoutTimes(await readLines(second.validationPath))).toEqual(withoutTimes(await readLines(run.validationPath)));
    expect(await readLines(second.coordinationPath!)).toEqual(coordination);
    expect(second.history).toEqual(run.history);
    expect(second.best).toEqual(run.best);
    expect(await readdir(path.join(split, 'checkpoints'))).toHaveLength(2); // keepCheckpoints default
    expect(tf.memory().numTensors).toBe(startTensors);
  });

  /** A short retrieval tuning run on phantom captions (the two retrieval tests below override what they vary). */
  function retrievalOptions(
    captions: ReturnType<typeof phantomSplits<'caption'>>,
    name: string,
    overrides: Partial<RunTaskTuningOptions>,
  ): RunTaskTuningOptions {
    return {
      task: { kind: 'retrieval' },
      train: captions.train,
      validation: captions.validate,
      tokenizer,
      modelConfig: microTaskConfig(tokenizer.vocabSize, { dim: 16, patchSize: 16 }),
      batchSize: 4,
      steps: 3,
      learningRate: { base: 1e-3 },
      seed: 5,
      outDir: path.join(root, name),
      ...overrides,
    };
  }

  it.each(['cls', 'mean'] as const)('tunes retrieval (ITM + InfoNCE) and selects by mean recall, first stage on %s features', async (pooling) => {
    const captions = phantomSplits('caption', { train: 8, validate: 4 });
    const run = await runTaskTuning(retrievalOptions(captions, `retrieval-${pooling}`, { pooling, retrieval: { projectionDim: 8 }, topK: 2 }));
    const metrics = await readLines(run.metricsPath);
    expect(Object.keys(metrics[0]!).sort()).toEqual(['contrastive', 'epoch', 'itm', 'loss', 'lr', 'ms', 'step']);
    const best = run.best!;
    expect(best.metrics.kind).toBe('retrieval');
    if (best.metrics.kind !== 'retrieval') return;
    expect(best.metric).toBe(best.metrics.meanRecall);
    expect([best.metrics.nImages, best.metrics.nTexts, best.metrics.topK]).toEqual([4, 4, 2]);
    expect(
      best.predictions.map((prediction) => prediction.kind === 'retrieval' && prediction.rank).every((rank) => Number(rank) >= 1 && Number(rank) <= 4),
    ).toBe(true);
    // Evaluation rebuilds the first stage with the pooling the checkpoint was tuned with: the same ranks again.
    expect((await readCheckpoint(run.bestCheckpoint!)).metadata.config).toMatchObject({ pooling });
    const again = await evaluateTask({ checkpoint: run.bestCheckpoint!, samples: captions.validate, tokenizer, topK: 2 });
    expect(again.metric).toBe(best.metric);
    expect(again.predictions).toEqual(best.predictions);
  });

  it('fills the attribute classes from the training samples, stores them, and evaluation rebuilds the same heads', async () => {
    const captions = phantomSplits('caption', { train: 8, validate: 4 });
    const types = ['CT', 'MR', 'CT', 'MR'];
    const withAttributes = (samples: typeof captions.train) =>
      samples.map((sample, i) => ({ ...sample, attributes: { Type: types[i % 4]!, ...(i % 2 ? {} : { Plane: i % 4 ? 'Axial' : 'Sagittal' }) } }));
    const retrievalRun = retrievalOptions(captions, 'retrieval-attributes', {
      pooling: 'mean',
      train: withAttributes(captions.train),
      steps: 2,
      retrieval: { projectionDim: 8, itmWeight: 0 },
      attributes: { fields: ['Type', 'Plane'], weight: 0.5 },
      topK: 1,
    });
    const run = await runTaskTuning(retrievalRun);
    expect(Object.keys((await readLines(run.metricsPath))[0]!)).toContain('attributes');
    const stored = (await readCheckpoint(run.bestCheckpoint!)).metadata.config as { attributes: unknown };
    expect(stored.attributes).toEqual({ fields: ['Type', 'Plane'], weight: 0.5, classes: { Type: ['CT', 'MR'], Plane: ['Axial', 'Sagittal'] } });
    const again = await evaluateTask({ checkpoint: run.bestCheckpoint!, samples: captions.validate, tokenizer, topK: 1 });
    expect(again.predictions).toEqual(run.best!.predictions);
    // A model bundle leaves the training-only attribute heads out and still loads.
    const bundleDir = path.join(root, 'retrieval-attributes-bundle');
    await exportModelBundle({ checkpoint: run.bestCheckpoint!, tokenizer, to: bundleDir, card: { title: 'test' } });
    expect(Object.keys((await readCheckpoint(path.join(bundleDir, 'model.safetensors'))).weights).some((name) => name.startsWith('heads.attributes.'))).toBe(
      false,
    );
    (await loadModelBundle(bundleDir)).dispose();
    // Ranking with the attribute agreement: the bundle keeps the heads and their classes, and ranks as evaluation did.
    const agreeing = await runTaskTuning({
      ...retrievalRun,
      outDir: path.join(root, 'retrieval-agreement'),
      retrieval: { projectionDim: 8, itmWeight: 0, attributeAgreement: 0.5 },
    });
    const agreeingDir = path.join(root, 'retrieval-agreement-bundle');
    await exportModelBundle({ checkpoint: agreeing.bestCheckpoint!, tokenizer, to: agreeingDir, card: { title: 'test' } });
    const weights = Object.keys((await readCheckpoint(path.join(agreeingDir, 'model.safetensors'))).weights);
    expect(weights.filter((name) => name.startsWith('heads.attributes.'))).toHaveLength(4);
    const bundle = await loadModelBundle(agreeingDir);
    expect(bundle.tuning.retrieval.attributeAgreement).toBe(0.5);
    expect(bundle.tuning.attributes.classes).toEqual({ Type: ['CT', 'MR'], Plane: ['Axial', 'Sagittal'] });
    bundle.dispose();
    // Samples without the attribute: a clear error before any training.
    await expect(
      runTaskTuning({ ...retrievalRun, train: captions.train, outDir: path.join(root, 'retrieval-no-attributes'), attributes: { fields: ['Type'] } }),
    ).rejects.toThrow(/at least 2 values among the training samples/);
  });

  it('VQA with attribute heads on the image stream too: a second term, stored, rebuilt by evaluation, left out of bundles', async () => {
    const organs = ['liver', 'lung', 'liver', 'heart'];
    const withAttributes = (samples: typeof vqa.train) => samples.map((sample, i) => ({ ...sample, attributes: { organ: organs[i % 4]! } }));
    const options = vqaOptions(path.join(root, 'vqa-image-attributes'), {
      train: withAttributes(vqa.train),
      epochs: 1,
      attributes: { fields: ['organ'], imageHeads: true },
    });
    const run = await runTaskTuning(options);
    const first = (await readLines(run.metricsPath))[0]! as Record<string, number>;
    expect(first['imageAttributes']).toBeGreaterThan(0); // a cross-entropy over 3 classes
    expect(first['imageAttributes']).not.toBe(first['attributes']);
    const checkpoint = await readCheckpoint(run.bestCheckpoint!);
    expect((checkpoint.metadata.config as { attributes: unknown }).attributes).toEqual({
      fields: ['organ'],
      weight: 1,
      classes: { organ: ['heart', 'liver', 'lung'] },
      imageHeads: true,
    });
    expect(Object.keys(checkpoint.weights).filter((name) => name.startsWith('heads.imageAttributes.'))).toHaveLength(2); // W, b
    const again = await evaluateTask({ checkpoint: run.bestCheckpoint!, samples: vqa.validate, tokenizer, batchSize: 16 });
    expect(again.metric).toBe(run.best!.metric);
    const bundleDir = path.join(root, 'vqa-image-attributes-bundle');
    await exportModelBundle({ checkpoint: run.bestCheckpoint!, tokenizer, to: bundleDir, card: { title: 'test' } });
    const bundled = Object.keys((await readCheckpoint(path.join(bundleDir, 'model.safetensors'))).weights);
    expect(bundled.some((name) => name.startsWith('heads.imageAttributes.') || name.startsWith('heads.attributes.'))).toBe(false);
    (await loadModelBundle(bundleDir)).dispose();
    // Retrieval refuses it: its heads already read the image embedding.
    const captions = phantomSplits('caption', { train: 8, validate: 4 });
    await expect(
      runTaskTuning(
        retrievalOptions(captions, 'retrieval-image-attributes', {
          steps: 1,
          attributes: { fields: ['Type'], classes: { Type: ['CT', 'MR'] }, imageHeads: true },
        }),
      ),
    ).rejects.toThrow(/imageHeads/);
  });

  /**
   * One tuning step with `option` beside one plain step (run once, shared by the tests below): the option's checkpoint
   * config, the plain one's, and the first step's VQA loss of each (the same model and batch, so they differ only by it).
   */
  let plainStep: Promise<TaskTuningRun> | undefined;
  const oneStep = { epochs: undefined, steps: 1, gmCoord: undefined, evaluateEvery: undefined } as const;
  async function besidePlainStep(name: string, option: Partial<RunTaskTuningOptions>) {
    plainStep ??= runTaskTuning(vqaOptions(path.join(root, 'one-plain-step'), oneStep));
    const run = await runTaskTuning(vqaOptions(path.join(root, name), { ...oneStep, ...option }));
    const plain = await plainStep;
    return {
      run,
      config: (await readCheckpoint(run.bestCheckpoint!)).metadata.config,
      plainConfig: (await readCheckpoint(plain.bestCheckpoint!)).metadata.config,
      loss: (await readLines(run.metricsPath))[0]!['vqa'],
      plainLoss: (await readLines(plain.metricsPath))[0]!['vqa'],
    };
  }

  it('trains with label smoothing and records ε in the checkpoints (absent without it)', async () => {
    const { config, plainConfig, loss, plainLoss } = await besidePlainStep('smoothed', { labelSmoothing: 0.1 });
    expect(config).toMatchObject({ labelSmoothing: 0.1 });
    expect(plainConfig).not.toHaveProperty('labelSmoothing');
    expect(loss).not.toBe(plainLoss); // the same model and batch, another target distribution
  });

  it('trains with patch dropout and records it in the checkpoints; validation sees every token', async () => {
    const { run, config, plainConfig, loss, plainLoss } = await besidePlainStep('patch-dropout', { imageTokenDrop: 0.5 });
    expect(config).toMatchObject({ imageTokenDrop: 0.5 });
    expect(plainConfig).not.toHaveProperty('imageTokenDrop');
    expect(loss).not.toBe(plainLoss); // the same model and batch, half the image tokens
    // evaluateTask rebuilds the model from the checkpoint and reads every token: the validation pass again, exactly.
    const again = await evaluateTask({ checkpoint: run.bestCheckpoint!, samples: vqa.validate, tokenizer, batchSize: 16 });
    expect(again.metric).toBe(run.best!.metric);
    await expect(runTaskTuning(vqaOptions(path.join(root, 'invalid'), { imageTokenDrop: 1 }))).rejects.toThrow(/imageTokenDrop/);
    await expect(runTaskTuning(vqaOptions(path.join(root, 'invalid'), { imageTokenDrop: 0.5, blindImage: true }))).rejects.toThrow(/blindImage/);
  });

  it('starts the word embeddings of whole-word tokens from word vectors and records it in the checkpoints', async () => {
    // made-up 6-d vectors for every whole word of the phantom tokenizer but "the"
    const words = Array.from({ length: tokenizer.vocabSize }, (_, id) => tokenizer.wordOf(id)).filter(
      (word): word is string => word !== undefined && word !== 'the',
    );
    const table = new Map(words.map((word, i) => [word, Float32Array.from({ length: 6 }, (_, j) => Math.sin(i * 7 + j * 3))]));
    const wordVectors = { dimensions: 6, size: table.size, source: '/somewhere/vectors.txt', get: (word: string) => table.get(word) };
    const { config, plainConfig, loss, plainLoss } = await besidePlainStep('word-vectors', { wordVectors });
    expect(config).toMatchObject({ wordVectors: { source: 'vectors.txt', dimensions: 6, matched: words.length, rows: tokenizer.vocabSize } });
    expect(plainConfig).not.toHaveProperty('wordVectors');
    expect(loss).not.toBe(plainLoss); // the same seed and batch, other word embeddings
    await expect(runTaskTuning(vqaOptions(path.join(root, 'invalid'), { wordVectors, checkpoint: 'pretrained.safetensors' }))).rejects.toThrow(/wordVectors/);
  });

  it('trains with a class-balanced loss and records it in the checkpoints', async () => {
    const { config, plainConfig, loss, plainLoss } = await besidePlainStep('class-balance', { classBalance: 1 });
    expect(config).toMatchObject({ classBalance: 1 });
    expect(plainConfig).not.toHaveProperty('classBalance');
    expect(loss).not.toBe(plainLoss); // the same model and batch, other weights per sample
    await expect(runTaskTuning(vqaOptions(path.join(root, 'invalid'), { classBalance: 2 }))).rejects.toThrow(/classBalance/);
  });

  it('validates and keeps the averaged weights with weightAverage, and resumes the average exactly', async () => {
    const startTensors = tf.memory().numTensors;
    const options = { gmCoord: undefined, evaluateEvery: undefined, weightAverage: { decay: 0.9 } };
    const whole = await runTaskTuning(vqaOptions(path.join(root, 'averaged'), options));
    const best = await readCheckpoint(whole.bestCheckpoint!);
    expect(best.metadata.config).toMatchObject({ weightAverage: { decay: 0.9 } });
    expect(Object.keys(best.weights).some((name) => name.startsWith('extra/'))).toBe(false); // the model's weights only
    // best.safetensors holds the average, not the live weights of that step: evaluating it reproduces the pass.
    const again = await evaluateTask({ checkpoint: whole.bestCheckpoint!, samples: vqa.validate, tokenizer, batchSize: 16 });
    expect(again.metric).toBe(whole.best!.metric);
    const last = await readCheckpoint(whole.lastCheckpoint!);
    const name = Object.keys(best.weights).find((key) => key.startsWith('heads.'))!;
    expect(Object.keys(last.weights).some((key) => key.startsWith('extra/weightAverage/'))).toBe(true);
    if (whole.best!.step === whole.totalSteps) expect(best.weights[name]!.data).not.toEqual(last.weights[name]!.data);
    expect(tf.memory().numTensors).toBe(startTensors);

    const split = path.join(root, 'averaged-split');
    const controller = new AbortController();
    await runTaskTuning(
      vqaOptions(split, { ...options, onEvent: (event) => event.type === 'step-end' && event.step === 3 && controller.abort(), signal: controller.signal }),
    );
    const resumed = await runTaskTuning(vqaOptions(split, { ...options, resume: true }));
    expect(withoutTimes(await readLines(resumed.validationPath))).toEqual(withoutTimes(await readLines(whole.validationPath)));
    expect(resumed.best).toEqual(whole.best);
    expect(tf.memory().numTensors).toBe(startTensors);
  });

  it('validates its options', async () => {
    const outDir = path.join(root, 'invalid');
    await expect(runTaskTuning(vqaOptions(outDir, { labelSmoothing: 1 }))).rejects.toThrow(/labelSmoothing/);
    await expect(runTaskTuning(vqaOptions(outDir, { augmentViews: 4 }))).rejects.toThrow(/augmentViews.*random-resized/); // centre crop
    const captionSplits = phantomSplits('caption', { train: 8, validate: 2 });
    await expect(
      runTaskTuning({
        ...vqaOptions(outDir),
        task: { kind: 'retrieval' },
        train: captionSplits.train,
        validation: captionSplits.validate,
        gmCoord: undefined,
        labelSmoothing: 0.1,
      }),
    ).rejects.toThrow(/0 for retrieval/);
    await expect(runTaskTuning(vqaOptions(outDir, { task: { kind: 'retrieval' } }))).rejects.toThrow(InvalidConfigError);
    await expect(runTaskTuning(vqaOptions(outDir, { steps: 3 }))).rejects.toThrow(/exactly one of them/);
    const captions = phantomSplits('caption', { train: 8, validate: 2 });
    await expect(runTaskTuning({ ...vqaOptions(outDir), task: { kind: 'retrieval' }, train: captions.train, validation: captions.validate })).rejects.toThrow(
      /GM-Coord needs a class head/,
    );
  });
});
