import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import {
  assignWeights,
  CheckpointMismatchError,
  encodeSafetensors,
  InvalidConfigError,
  readCheckpoint,
  readSafetensors,
  SeededRandom,
  type TensorRecord,
} from '@umd/core';
import { expectTensorClose, useBackend } from '@umd/core/testing';
import type { Sample } from '@umd/data';
import { UmdModel } from '@umd/encoders';
import { createMrPretraining, mrPretrainPresets, mrTerms, runMrPretraining, type MrMetricsLine } from '@umd/mr-pretrain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { microMrConfig, phantomCalibrationData, writeRandomMrCheckpoint, type PhantomCalibrationData } from './__fixtures__/micro.js';
import { calibrate, type CalibratedCheckpointMetadata, type CalibrateOptions, type CalibrationEvent, type CalibrationResult } from './calibrate.js';
import { CalibrationDataError } from './errors/calibration-data-error.js';
import { estimateImageStatistics } from './estimate-image-statistics.js';
import { createReconstructionRegularizer } from './reconstruction-regularizer.js';

async function readMetrics(dir: string): Promise<MrMetricsLine[]> {
  const text = await readFile(path.join(dir, 'metrics.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as MrMetricsLine);
}

const differs = (a: TensorRecord, b: TensorRecord): boolean => a.data.some((value, i) => value !== b.data[i]);

describe('calibrate (phantom data, micro model pre-trained briefly on captions of other images)', () => {
  let root: string;
  let data: PhantomCalibrationData;
  let pretrained: string;
  let whole: CalibrationResult;
  let wholeEvents: CalibrationEvent[];
  const startTensors = { count: 0 };

  const options = (outDir: string, overrides: Partial<CalibrateOptions> = {}): CalibrateOptions => ({
    checkpoint: pretrained,
    samples: data.vqa.train,
    tokenizer: data.tokenizer,
    steps: 10,
    batchSize: 4,
    learningRate: { base: 2e-3, warmupSteps: 2 },
    evaluationBatches: 2,
    checkpointEvery: 4,
    seed: 3,
    outDir,
    ...overrides,
  });

  beforeAll(async () => {
    await useBackend('cpu');
    startTensors.count = tf.memory().numTensors;
    root = await mkdtemp(path.join(os.tmpdir(), 'td-calib-'));
    data = await phantomCalibrationData(root);
    // A real MR pre-training checkpoint (runMrPretraining's layout), on captions of images calibration never sees.
    const run = await runMrPretraining({
      model: data.model,
      config: microMrConfig,
      samples: data.captions,
      tokenizer: data.tokenizer,
      batchSize: 4,
      steps: 6,
      learningRate: { base: 2e-3, warmupSteps: 1 },
      seed: 5,
      outDir: path.join(root, 'pretrain'),
      checkpointEvery: 6,
    });
    pretrained = run.lastCheckpoint!;
    wholeEvents = [];
    whole = await calibrate(options(path.join(root, 'whole'), { onEvent: (event) => wholeEvents.push(event) }));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('re-estimates the statistics, changes the weights and lowers the reconstruction loss on downstream data', async () => {
    expect(whole).toMatchObject({ reason: 'completed', steps: 10, checkpoint: path.join(root, 'whole', 'calibrated.safetensors') });
    expect(tf.memory().numTensors).toBe(startTensors.count); // no leaks, all of calibration included

    // Statistics of the downstream training images.
    const statistics = await estimateImageStatistics(data.vqa.train, { size: 32, channels: 1, seed: 3 });
    expect(whole.imageNormalization).toEqual({ mean: statistics.mean, std: statistics.std });

    // The fixed-set losses: every enabled term measured, and the total lower after calibration than before, also
    // once the new statistics alone are accounted for.
    for (const losses of [whole.lossBefore, whole.lossRenormalized!, whole.lossAfter]) {
      for (const term of mrTerms) expect(Number.isFinite(losses[term])).toBe(true);
    }
    expect(whole.lossAfter.total).toBeLessThan(whole.lossBefore.total);
    expect(whole.lossAfter.total).toBeLessThan(whole.lossRenormalized!.total);
    expect(whole.lossAfter.mim!).toBeLessThan(whole.lossRenormalized!.mim!);
    expect(whole.lossAfter.mlm!).toBeLessThan(whole.lossRenormalized!.mlm!);
    const evaluations = wholeEvents.filter((event) => event.type === 'evaluation-end');
    expect(evaluations.map((event) => event.phase)).toEqual(['before', 'renormalized', 'after']);
    expect(evaluations[0]!.losses).toEqual(whole.lossBefore);

    const metrics = await readMetrics(path.join(root, 'whole'));
    expect(metrics.map((line) => line.step)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    for (const line of metrics) for (const term of mrTerms) expect(Number.isFinite(line[term])).toBe(true);

    // The calibrated checkpoint: the same names as the pre-training one, every group changed, the metadata complete.
    const before = await readCheckpoint(pretrained);
    const after = await readCheckpoint(whole.checkpoint);
    expect(Object.keys(after.weights).sort()).toEqual(Object.keys(before.weights).sort());
    expect(Object.keys(after.optimizerWeights)).toEqual([]);
    for (const prefix of [
      'vision.',
      'text.',
      'fusion.',
      'heads.mimDecoder.',
      'heads.mlm.',
      'heads.itm.',
      'heads.feaMim.',
      'heads.feaMlm.',
      'extra/teacher/vision.',
    ]) {
      const names = Object.keys(after.weights).filter((name) => name.startsWith(prefix));
      expect(names.length, prefix).toBeGreaterThan(0);
      expect(
        names.some((name) => differs(after.weights[name]!, before.weights[name]!)),
        `${prefix} changed`,
      ).toBe(true);
    }
    const metadata = after.metadata as CalibratedCheckpointMetadata;
    expect(metadata.imageNormalization).toEqual(whole.imageNormalization);
    expect(metadata.config.model).toEqual(data.model);
    expect(metadata.config.mrPretrain).toEqual(microMrConfig);
    expect(metadata.calibration).toMatchObject({
      from: path.resolve(pretrained),
      steps: 10,
      samples: data.vqa.train.length,
      splits: { train: data.vqa.train.length },
      statisticsImages: 6,
      lossBefore: whole.lossBefore,
      lossAfter: whole.lossAfter,
    });
  });

  it('the calibrated checkpoint loads into a fresh UmdModel, with its MR heads for the regularizer', async () => {
    const { weights, metadata } = await readCheckpoint(whole.checkpoint);
    const config = (metadata as CalibratedCheckpointMetadata).config;
    const encoders: Record<string, TensorRecord> = {};
    for (const [name, record] of Object.entries(weights)) if (!name.startsWith('heads.') && !name.startsWith('extra/')) encoders[name] = record;
    const model = new UmdModel(config.model, new SeededRandom(0));
    expect(assignWeights(model.parameterMap(), encoders, whole.checkpoint).loaded).toHaveLength(Object.keys(encoders).length); // strict
    // With the MR heads registered, every student weight fits (strict), as calibration itself would reload it.
    const withHeads = new UmdModel(config.model, new SeededRandom(1));
    const pretraining = createMrPretraining({
      model: withHeads,
      config: config.mrPretrain,
      random: new SeededRandom(2),
      totalSteps: 1,
      tokens: { maskTokenId: 4, specialTokenIds: [0] },
    });
    const student = Object.fromEntries(Object.entries(weights).filter(([name]) => !name.startsWith('extra/')));
    assignWeights(withHeads.parameterMap(), student, whole.checkpoint);
    pretraining.dispose();
    withHeads.dispose();
    // The regularizer loads the calibrated heads into a task model.
    const regularizer = createReconstructionRegularizer({
      model,
      checkpoint: whole.checkpoint,
      start: 0.5,
      decaySteps: 10,
      seed: 0,
      tokens: { maskTokenId: 4, specialTokenIds: [0, 1, 2, 3, 4] },
    });
    const name = 'heads.mimDecoder.pred.weight';
    expectTensorClose(model.parameterMap().get(name)!, weights[name]!.data, { atol: 0, rtol: 0 });
    regularizer.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(startTensors.count);
  });

  it('resumes exactly: an interrupted and resumed calibration ends where the whole one did', async () => {
    const split = path.join(root, 'split');
    const controller = new AbortController();
    const first = await calibrate(
      options(split, { signal: controller.signal, onEvent: (event) => event.type === 'step-end' && event.step === 5 && controller.abort() }),
    );
    expect(first).toMatchObject({ reason: 'aborted', steps: 5 });
    expect(first.checkpoint).toBe(path.join(split, 'checkpoints', 'step-000005.safetensors'));
    expect(existsSync(path.join(split, 'calibrated.safetensors'))).toBe(false);
    const events: CalibrationEvent[] = [];
    const second = await calibrate(options(split, { resume: true, onEvent: (event) => events.push(event) }));
    expect(second).toMatchObject({ reason: 'completed', steps: 10 });
    expect(events.find((event) => event.type === 'train-start')).toMatchObject({ startStep: 5 });
    expect(second.lossBefore).toEqual(whole.lossBefore);
    expect(second.lossAfter).toEqual(whole.lossAfter);
    const withoutTimes = (lines: MrMetricsLine[]): unknown[] => lines.map(({ ms: _ms, ...rest }) => rest);
    expect(withoutTimes(await readMetrics(split))).toEqual(withoutTimes(await readMetrics(path.join(root, 'whole'))));
    const resumed = await readCheckpoint(second.checkpoint);
    const uninterrupted = await readCheckpoint(whole.checkpoint);
    for (const [name, record] of Object.entries(uninterrupted.weights)) expect(differs(resumed.weights[name]!, record), name).toBe(false);
    expect(tf.memory().numTensors).toBe(startTensors.count);
  });

  it('rejects validation and test samples before any work: none reaches calibration', async () => {
    const touched: string[] = [];
    /** A sample whose image and text record every read. */
    const trapped = (sample: Sample): Sample =>
      new Proxy(sample, {
        get: (target, key, receiver) => {
          if (key === 'image' || key === 'question' || key === 'imageId') touched.push(`${target.id}.${String(key)}`);
          return Reflect.get(target, key, receiver) as unknown;
        },
      });
    // A validation split carved from train (VQA-RAD has none) carries split 'validate'.
    const carved = data.vqa.train.slice(0, 3).map((sample) => ({ ...sample, split: 'validate' }));
    const samples = [...data.vqa.train.slice(3), ...[...carved, ...data.vqa.validate, ...data.vqa.test].map(trapped)];
    const outDir = path.join(root, 'rejected');
    const error = await calibrate(options(outDir, { samples, checkpoint: path.join(root, 'no-such-checkpoint.safetensors') })).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(CalibrationDataError);
    const { offenders, total } = error as CalibrationDataError;
    expect(total).toBe(samples.length);
    expect(offenders).toHaveLength(carved.length + data.vqa.validate.length + data.vqa.test.length);
    expect((error as Error).message).toContain(`"${carved[0]!.id}" (validate)`);
    expect((error as Error).message).toContain("'test'");
    expect(touched).toEqual([]); // no image or text of an offending sample was read
    expect(existsSync(outDir)).toBe(false); // nothing was written; the checkpoint was not even opened
  });

  it('keeps the statistics of a model with a frozen vision stem: asking to re-estimate them is an error, before any work', async () => {
    // The pre-trained checkpoint, relabelled as a model on the MobileNetV2 stem (its weights never load: the check comes first).
    const file = await readSafetensors(pretrained);
    const umd = JSON.parse(file.metadata['umd']!) as { config: { model: { vision: Record<string, unknown> } } };
    Object.assign(umd.config.model.vision, { imageSize: 224, patchSize: 32, channels: 3, stem: { kind: 'mobilenet-v2' } });
    const { sha256: _digest, ...metadata } = file.metadata;
    const stemCheckpoint = path.join(root, 'stem.safetensors');
    await writeFile(stemCheckpoint, encodeSafetensors(file.tensors, { ...metadata, umd: JSON.stringify(umd) }));
    const outDir = path.join(root, 'stem-calibration');
    const refusal = calibrate(options(outDir, { checkpoint: stemCheckpoint, reestimateStatistics: true }));
    await expect(refusal).rejects.toThrow(InvalidConfigError);
    await expect(calibrate(options(outDir, { checkpoint: stemCheckpoint, reestimateStatistics: true }))).rejects.toThrow(
      /reestimateStatistics.*frozen vision stem \(mobilenet-v2\)/,
    );
    expect(existsSync(outDir)).toBe(false);
  });

  it('switched-off terms train nothing of theirs and pass their weights through; a missing head is an error', async () => {
    const outDir = path.join(root, 'mim-mlm');
    const result = await calibrate(options(outDir, { steps: 2, terms: { itm: false, feaMim: false, feaMlm: false }, reestimateStatistics: false }));
    expect(Object.keys(result.lossAfter).sort()).toEqual(['mim', 'mlm', 'total']);
    expect(result.lossRenormalized).toBeUndefined();
    expect(result.imageNormalization).toEqual({ mean: [0.5], std: [0.5] }); // the pre-training default (grey)
    const metrics = await readMetrics(outDir);
    expect(Object.keys(metrics[0]!).sort()).toEqual(['lr', 'mim', 'mlm', 'ms', 'step', 'total']);
    const before = await readCheckpoint(pretrained);
    const after = await readCheckpoint(result.checkpoint);
    expect(Object.keys(after.weights).sort()).toEqual(Object.keys(before.weights).sort());
    for (const name of ['heads.itm.classifier.weight', 'heads.feaMlm.weight', 'extra/teacher/text.blocks.0.mlp.fc1.weight']) {
      expect(differs(after.weights[name]!, before.weights[name]!), name).toBe(false);
    }
    expect(differs(after.weights['heads.mlm.transform.weight']!, before.weights['heads.mlm.transform.weight']!)).toBe(true);

    // A data-level checkpoint has no feature heads and no teacher: calibrating with them on names what is missing.
    const dataLevel = path.join(root, 'data-level.safetensors');
    await writeRandomMrCheckpoint(dataLevel, data.model, { ...microMrConfig, terms: mrPretrainPresets.dataLevel.terms }, 9);
    const error = await calibrate(options(path.join(root, 'mismatch'), { checkpoint: dataLevel, mrConfig: microMrConfig })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CheckpointMismatchError);
    const missing = (error as CheckpointMismatchError).problems.map((problem) => problem.name);
    expect(missing).toContain('heads.feaMim.weight');
    expect(missing.some((name) => name.startsWith('extra/teacher/vision.'))).toBe(true);
    expect(tf.memory().numTensors).toBe(startTensors.count);
  });
});
