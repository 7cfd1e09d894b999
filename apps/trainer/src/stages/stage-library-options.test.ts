import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type * as mrPretrain from '@umd/mr-pretrain';
import type { MrPretrainConfig } from '@umd/mr-pretrain';
import type * as tasks from '@umd/tasks';
import type { RunTaskTuningOptions } from '@umd/tasks';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { parsePipelineConfig } from '../config/load-pipeline-config.js';
import { runFinetuneStage } from './run-finetune-stage.js';
import { runPretrainStage } from './run-pretrain-stage.js';
import { createStageContext } from './stage-context.js';

// The library calls are replaced by recorders: these tests check what the stages pass, not what the libraries do.
const calls = vi.hoisted(() => ({ tuning: [] as unknown[], pretraining: [] as unknown[] }));
vi.mock('@umd/tasks', async (importOriginal) => ({
  ...(await importOriginal<typeof tasks>()),
  runTaskTuning: vi.fn(async (options: RunTaskTuningOptions) => {
    calls.tuning.push(options);
    const metricsPath = path.join(options.outDir, 'metrics.jsonl');
    return {
      step: 1,
      reason: 'completed',
      totalSteps: 1,
      stepsPerEpoch: 1,
      best: undefined,
      bestCheckpoint: undefined,
      history: [],
      medianStepMs: 1,
      metricsPath,
    };
  }),
}));
vi.mock('@umd/mr-pretrain', async (importOriginal) => ({
  ...(await importOriginal<typeof mrPretrain>()),
  runMrPretraining: vi.fn(async (options: { outDir: string; steps: number }) => {
    calls.pretraining.push(options);
    return { step: options.steps, reason: 'completed', metricsPath: path.join(options.outDir, 'metrics.jsonl'), pictures: [] };
  }),
}));

describe('the stages pass every configured knob to the library call', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'trainer-knobs-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const config = parsePipelineConfig({
    name: 'knobs',
    model: {
      overrides: {
        vision: { imageSize: 224, patchSize: 32, channels: 3, stem: { kind: 'mobilenet-v2' }, positionEmbedding: 'learned', dropout: 0.1 },
        text: { dropout: 0.2 },
        fusion: { dropout: 0.3 },
      },
    },
    data: { imageCache: null, maxInputPixels: 300_000_000, phantom: { trainImages: 8, validateImages: 4, testImages: 4, size: 32 } },
    stages: ['pretrain', 'finetune'],
    pretrain: { steps: 2, objectives: 'data-level', terms: { feaMlm: true }, imageMaskRatio: 0.5, decoder: { input: 0 }, teacherMomentum: { start: 0.98 } },
    finetune: {
      epochs: 1,
      batchSize: 4,
      learningRateMultipliers: { vision: 0.1 },
      decay: 'cosine',
      weightDecay: 0.05,
      labelSmoothing: 0.1,
      weightAverage: { decay: 0.99 },
      retrieval: { temperature: 0.1, hardNegatives: false, topK: 5, attributeAgreement: 0.5 },
      attributes: { fields: ['Type', 'Plane'], weight: 0.5, imageHeads: true },
      pooling: 'mean',
      augment: { crop: 'random-resized', scale: [0.8, 1], views: 3 },
      gmCoord: { enabled: true, emaDecay: 0.5, stopStep: 40 },
    },
  });

  it('pretrain: the model overrides and the MR-Pretrain overrides reach runMrPretraining, the input guard its image pipeline', async () => {
    const context = createStageContext({ config, outDir: path.join(root, 'run') });
    await runPretrainStage(context);
    const options = calls.pretraining.at(-1) as { model: { vision: object; text: object; fusion: object }; config: MrPretrainConfig; image: object };
    expect(options.model.vision).toMatchObject({ imageSize: 224, patchSize: 32, channels: 3, stem: { kind: 'mobilenet-v2' } });
    expect(options.model.vision).toMatchObject({ positionEmbedding: 'learned', dropout: 0.1 });
    expect(options.model.text).toMatchObject({ dropout: 0.2 });
    expect(options.model.fusion).toMatchObject({ dropout: 0.3 });
    expect(options.config).toMatchObject({
      terms: { mim: true, mlm: true, itm: true, feaMim: false, feaMlm: true },
      imageMaskRatio: 0.5,
      decoder: { input: { kind: 'layer', index: 0 } },
      teacherMomentum: { start: 0.98, end: 1 },
    });
    expect(options.image).toMatchObject({ maxInputPixels: 300_000_000 });
  });

  it('finetune: the tuning knobs reach runTaskTuning', async () => {
    // From scratch (no pretrain among the stages), so the resolved model config is passed too.
    const scratch = { ...config, stages: ['finetune' as const] };
    await runFinetuneStage(createStageContext({ config: scratch, outDir: path.join(root, 'scratch') }));
    const options = calls.tuning.at(-1) as RunTaskTuningOptions;
    expect(options.modelConfig?.vision).toMatchObject({ stem: { kind: 'mobilenet-v2' }, dropout: 0.1 });
    const multipliers = { encoders: 1, fusion: 5, heads: 50, vision: 0.1 };
    expect(options.learningRate).toStrictEqual({ base: 1e-4, decay: 'cosine', weightDecay: 0.05, multipliers });
    expect(options).toMatchObject({ labelSmoothing: 0.1, pooling: 'mean', gmCoord: { strategy: 'ogm-ge', alpha: 0.5, emaDecay: 0.5, stopStep: 40 } });
    expect(options).toMatchObject({
      weightAverage: { decay: 0.99 },
      retrieval: { temperature: 0.1, hardNegatives: false, attributeAgreement: 0.5 },
      topK: 5,
    });
    expect(options.attributes).toStrictEqual({ fields: ['Type', 'Plane'], weight: 0.5, imageHeads: true });
    expect(options.image).toStrictEqual({ memoryCacheMiB: 256, maxInputPixels: 300_000_000, crop: { kind: 'random-resized', scale: [0.8, 1] } });
    expect(options.augmentViews).toBe(3);
  });
});
