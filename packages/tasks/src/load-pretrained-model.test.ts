import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import type * as tf from '@tensorflow/tfjs-core';
import { CheckpointMismatchError, InvalidConfigError, SeededRandom, saveCheckpoint } from '@umd/core';
import { useBackend } from '@umd/core/testing';
import { UmdModel } from '@umd/encoders';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// @umd/mr-pretrain is not a dependency of @umd/tasks; the test builds a real pre-training checkpoint from its source.
import { createMrPretraining, mrPretrainPresets } from '../../mr-pretrain/src/index.js';
import { microTaskConfig } from './__fixtures__/phantom-fixtures.js';
import { loadPretrainedModel } from './load-pretrained-model.js';

const config = microTaskConfig(40, { dim: 16, patchSize: 16 });

describe('loadPretrainedModel', () => {
  let root: string;
  let mrCheckpoint: string;
  let source: Map<string, Float32Array>;
  let headNames: string[];
  let teacherNames: string[];

  beforeAll(async () => {
    await useBackend('cpu');
    root = await mkdtemp(path.join(os.tmpdir(), 'tasks-load-'));
    // A checkpoint laid out as runMrPretraining's trainLoop writes it: the student with its pre-training heads, the EMA
    // teacher under extra/teacher/, and the run config with the model architecture.
    const random = new SeededRandom(1);
    const model = new UmdModel(config, random);
    const mr = { ...mrPretrainPresets.full, decoder: { dim: 8, depth: 1, heads: 2, mlpDim: 16, input: { kind: 'last' } } } as const;
    const pretraining = createMrPretraining({ model, config: mr, random, totalSteps: 10, tokens: { maskTokenId: 4, specialTokenIds: [0, 1, 2, 3, 4] } });
    const weights: Map<string, tf.Tensor> = model.parameterMap();
    for (const [name, variable] of pretraining.teacher!.model.parameterMap()) weights.set(`extra/teacher/${name}`, variable);
    mrCheckpoint = path.join(root, 'step-000007.safetensors');
    await saveCheckpoint(mrCheckpoint, { weights, metadata: { step: 7, config: { model: config, mrPretrain: mr, seed: 1 } } });
    source = new Map([...model.parameterMap()].map(([name, variable]) => [name, Float32Array.from(variable.dataSync())]));
    headNames = model
      .parameters()
      .filter((p) => p.name.startsWith('heads.'))
      .map((p) => p.name);
    teacherNames = [...weights.keys()].filter((name) => name.startsWith('extra/'));
    pretraining.dispose();
    model.dispose();
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('loads vision, text and fusion from an MR pre-training checkpoint and reports the ignored heads and teacher', async () => {
    const { model, ignored, loaded, step, imageNormalization } = await loadPretrainedModel({ checkpoint: mrCheckpoint, seed: 99 });
    expect(model.config).toEqual(config);
    expect(step).toBe(7);
    expect(imageNormalization).toBeUndefined();
    expect(headNames.length).toBeGreaterThan(10); // mimDecoder, mlm, itm, feaMim, feaMlm
    expect(ignored.sort()).toEqual([...headNames, ...teacherNames].sort());
    expect(model.heads.names()).toEqual([]);
    expect(loaded.sort()).toEqual([...model.parameterMap().keys()].sort());
    for (const [name, variable] of model.parameterMap()) expect(Array.from(variable.dataSync()), name).toEqual(Array.from(source.get(name)!));
    model.dispose();
  });

  it('returns the image normalisation a calibrated checkpoint carries', async () => {
    const model = new UmdModel(config, new SeededRandom(2));
    const file = path.join(root, 'calibrated.safetensors');
    const imageNormalization = { mean: [0.31], std: [0.27] };
    await saveCheckpoint(file, { weights: model.parameterMap(), metadata: { step: 3, config: { model: config, imageNormalization } } });
    model.dispose();
    const loaded = await loadPretrainedModel({ checkpoint: file, seed: 0 });
    expect(loaded.imageNormalization).toEqual(imageNormalization);
    loaded.model.dispose();
  });

  it('builds a fresh model without a checkpoint, and needs a config for it', async () => {
    const { model, ignored, loaded } = await loadPretrainedModel({ modelConfig: config, seed: 5 });
    const again = await loadPretrainedModel({ modelConfig: config, seed: 5 });
    expect([ignored, loaded]).toEqual([[], []]);
    expect(Array.from(model.parameterMap().get('vision.patchEmbed.weight')!.dataSync())).toEqual(
      Array.from(again.model.parameterMap().get('vision.patchEmbed.weight')!.dataSync()),
    );
    model.dispose();
    again.model.dispose();
    await expect(loadPretrainedModel({ seed: 0 })).rejects.toThrow(InvalidConfigError);
  });

  it('throws CheckpointMismatchError for another architecture, a missing config or a missing encoder weight', async () => {
    const other = { ...config, fusion: { ...config.fusion, depth: 2 } };
    await expect(loadPretrainedModel({ checkpoint: mrCheckpoint, modelConfig: other, seed: 0 })).rejects.toThrow(CheckpointMismatchError);
    const model = new UmdModel(config, new SeededRandom(3));
    const weights = model.parameterMap();
    const plain = path.join(root, 'plain.safetensors');
    await saveCheckpoint(plain, { weights, metadata: { step: 0 } });
    await expect(loadPretrainedModel({ checkpoint: plain, seed: 0 })).rejects.toThrow(/config\.model/);
    const fromPlain = await loadPretrainedModel({ checkpoint: plain, modelConfig: config, seed: 0 }); // a plain weight file with the config given
    fromPlain.model.dispose();
    weights.delete('text.blocks.0.mlp.fc1.weight');
    const partial = path.join(root, 'partial.safetensors');
    await saveCheckpoint(partial, { weights, metadata: { step: 0, config: { model: config } } });
    await expect(loadPretrainedModel({ checkpoint: partial, seed: 0 })).rejects.toThrow(/missing text\.blocks\.0\.mlp\.fc1\.weight/);
    model.dispose();
  });
});
