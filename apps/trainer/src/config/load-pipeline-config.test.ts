import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { UmdError } from '@umd/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ConfigError } from '../errors/config-error.js';
import { loadPipelineConfig, parsePipelineConfig } from './load-pipeline-config.js';
import { readyConfigs, resolveConfigPath } from './ready-configs.js';

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
    expect(error.issues).toEqual([
      { path: 'finetune.epoch', message: expect.stringContaining("Did you mean 'epochs'?") as string },
    ]);
    expect(error.message).toContain('finetune.epoch: unknown key');
    expect(error.message).toContain('Allowed keys: epochs, batchSize, learningRate, learningRateMultipliers, gmCoord, blindImage');
  });

  it('names a wrong enum value with the allowed values', () => {
    const error = configError(() => parsePipelineConfig({ name: 'x', data: { dataset: 'vqarad' } }));
    expect(error.issues).toHaveLength(1);
    expect(error.message).toContain(
      "data.dataset: expected one of 'phantom', 'vqa-rad', 'slake', 'medpix-classification', 'medpix-retrieval', got 'vqarad'",
    );
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
  });

  it('reads JSON by extension and names the file in errors', async () => {
    const file = path.join(dir, 'run.json');
    await writeFile(file, JSON.stringify({ name: 'json-run', seed: 4 }));
    expect((await loadPipelineConfig(file)).seed).toBe(4);
    await writeFile(file, JSON.stringify({ name: 'json-run', seed: -1 }));
    await expect(loadPipelineConfig(file)).rejects.toThrow(`Invalid config ${file}`);
  });

  it('reports YAML syntax errors with their line, and unknown extensions and missing files', async () => {
    const file = path.join(dir, 'broken.yaml');
    await writeFile(file, 'name: broken\nfinetune:\n  epochs: [1\n');
    await expect(loadPipelineConfig(file)).rejects.toThrow(/not valid YAML at line \d/);
    await expect(loadPipelineConfig(path.join(dir, 'run.toml'))).rejects.toThrow("unknown file type '.toml'");
    await expect(loadPipelineConfig(path.join(dir, 'absent.yaml'))).rejects.toThrow('cannot read the file (ENOENT)');
  });
});
