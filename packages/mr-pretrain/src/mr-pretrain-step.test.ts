import * as tf from '@tensorflow/tfjs-core';
import { AdamW, InvalidConfigError, SeededRandom, trainLoop, valueAndGrads } from '@umd/core';
import { expectStableTensorCount, expectTensorClose, useBackend } from '@umd/core/testing';
import { UmdModel } from '@umd/encoders';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

import { microBatch, microConfig, microPretrainConfig, microTokens } from './__fixtures__/micro.js';
import { teacherMomentumAt } from './ema-teacher.js';
import type { MrPretrainConfig, MrTerm } from './mr-pretrain-config.js';
import { drawMrPretrainPlan, mrPretrainLosses, mrPretrainStep } from './mr-pretrain-step.js';
import { createMrPretraining, type MrPretraining } from './mr-pretraining.js';

function setUp(config: MrPretrainConfig, seed = 0, totalSteps = 30): { pretraining: MrPretraining; optimizer: AdamW; dispose: () => void } {
  const random = new SeededRandom(seed);
  const model = new UmdModel(microConfig, random);
  const pretraining = createMrPretraining({ model, config, random, totalSteps, tokens: microTokens });
  const optimizer = new AdamW(model.parameters(), { learningRate: 2e-3, weightDecay: 0 });
  return {
    pretraining,
    optimizer,
    dispose: () => {
      optimizer.dispose();
      pretraining.dispose();
      model.dispose();
    },
  };
}

function read(result: { loss: tf.Scalar; terms: Partial<Record<MrTerm, tf.Scalar>> }): Record<string, number> {
  const values: Record<string, number> = { loss: result.loss.dataSync()[0]! };
  for (const [term, scalar] of Object.entries(result.terms)) values[term] = scalar.dataSync()[0]!;
  tf.dispose([result.loss, ...Object.values(result.terms)]);
  return values;
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

describe('mrPretrainStep', () => {
  beforeAll(() => useBackend('cpu'));
  afterEach(() => vi.restoreAllMocks());

  it('registers one head per enabled term and the teacher only for feature terms', () => {
    const full = setUp(microPretrainConfig());
    expect(full.pretraining.model.heads.names()).toEqual(['mimDecoder', 'mlm', 'itm', 'feaMim', 'feaMlm']);
    expect(full.pretraining.teacher).toBeDefined();
    // The teacher is not part of the student's parameters.
    const studentVariables = new Set(full.pretraining.model.parameters().map((p) => p.variable));
    expect(full.pretraining.teacher!.model.parameters().some((p) => studentVariables.has(p.variable))).toBe(false);
    full.dispose();

    const dataLevel = setUp(microPretrainConfig({ terms: { mim: true, mlm: true, itm: true, feaMim: false, feaMlm: false } }));
    expect(dataLevel.pretraining.model.heads.names()).toEqual(['mimDecoder', 'mlm', 'itm']);
    expect(dataLevel.pretraining.teacher).toBeUndefined();
    dataLevel.dispose();
  });

  it('every loss is finite and decreases over 20 steps on a fixed batch', () => {
    const { pretraining, optimizer, dispose } = setUp(microPretrainConfig(), 1, 20);
    const batch = microBatch(new SeededRandom(2), 4, 10);
    // A fixed batch includes its masks and ITM pairing: rewinding the generator redraws the same ones each step.
    // (With fresh pairings, L_ITM stays at ln 2 for far more than 20 steps on random data: matching must be learnt.)
    const start = pretraining.random.state();
    const history: Record<string, number>[] = [];
    for (let step = 0; step < 20; step++) {
      pretraining.random.restore(start);
      history.push(read(mrPretrainStep(pretraining, optimizer, batch)));
    }
    for (const key of ['loss', 'mim', 'mlm', 'itm', 'feaMim', 'feaMlm']) {
      const series = history.map((values) => values[key]!);
      for (const value of series) expect(Number.isFinite(value), `${key} finite`).toBe(true);
      const first = mean(series.slice(0, 3));
      const last = mean(series.slice(-3));
      expect(last, `${key}: first 3 steps ${first.toFixed(4)}, last 3 ${last.toFixed(4)}`).toBeLessThan(first);
    }
    // The total is the weighted sum of the terms (all weights and α are 1 in `full`).
    const lastStep = history.at(-1)!;
    expect(lastStep.loss).toBeCloseTo(lastStep.mim! + lastStep.mlm! + lastStep.itm! + lastStep.feaMim! + lastStep.feaMlm!, 4);
    batch.images.dispose();
    dispose();
  });

  it('moves the teacher by EMA with the scheduled momentum, after the student update', () => {
    const { pretraining, optimizer, dispose } = setUp(microPretrainConfig(), 3, 10);
    const batch = microBatch(new SeededRandom(4));
    const name = 'text.blocks.0.mlp.fc1.weight';
    const teacherVariable = pretraining.teacher!.model.parameterMap().get(name)!;
    const studentVariable = pretraining.model.parameterMap().get(name)!;
    for (let step = 1; step <= 2; step++) {
      const teacherBefore = Float32Array.from(teacherVariable.dataSync());
      read(mrPretrainStep(pretraining, optimizer, batch));
      const studentAfter = studentVariable.dataSync();
      const m = teacherMomentumAt(step, 10, { start: 0.996, end: 1 });
      expectTensorClose(
        teacherVariable,
        teacherBefore.map((t, i) => m * t + (1 - m) * studentAfter[i]!),
        { atol: 1e-7, rtol: 1e-6 },
      );
    }
    batch.images.dispose();
    dispose();
  });

  it('a term switched off has no head, no value and no gradient', () => {
    const { pretraining, optimizer, dispose } = setUp(microPretrainConfig({ terms: { mim: true, mlm: true, itm: false, feaMim: false, feaMlm: true } }), 5);
    expect(pretraining.model.heads.names()).toEqual(['mimDecoder', 'mlm', 'feaMlm']);
    const applied = vi.spyOn(optimizer, 'applyGradients');
    const batch = microBatch(new SeededRandom(6));
    const values = read(mrPretrainStep(pretraining, optimizer, batch));
    expect(Object.keys(values).sort()).toEqual(['feaMlm', 'loss', 'mim', 'mlm']);
    const gradientNames = Object.keys(applied.mock.calls[0]![0]);
    expect(gradientNames.some((n) => n.startsWith('heads.itm.') || n.startsWith('heads.feaMim.'))).toBe(false);
    for (const head of ['heads.mimDecoder.pred.', 'heads.mlm.', 'heads.feaMlm.']) expect(gradientNames.some((n) => n.startsWith(head))).toBe(true);
    batch.images.dispose();
    dispose();
  });

  it('with L_MIM off and L_FeaMIM on, the decoder has no pixel projection', () => {
    const { pretraining, optimizer, dispose } = setUp(microPretrainConfig({ terms: { mim: false, mlm: false, itm: false, feaMim: true, feaMlm: false } }), 7);
    expect(pretraining.model.parameters().some((p) => p.name.startsWith('heads.mimDecoder.pred.'))).toBe(false);
    const batch = microBatch(new SeededRandom(8));
    expect(Object.keys(read(mrPretrainStep(pretraining, optimizer, batch)))).toEqual(['loss', 'feaMim']);
    batch.images.dispose();
    dispose();
  });

  it('decodes from a middle fusion layer when configured', () => {
    const config = microPretrainConfig({ terms: { mim: true, mlm: false, itm: false, feaMim: false, feaMlm: false } });
    const { pretraining, optimizer, dispose } = setUp({ ...config, decoder: { ...config.decoder, input: { kind: 'layer', index: 0 } } }, 9);
    const applied = vi.spyOn(optimizer, 'applyGradients');
    const batch = microBatch(new SeededRandom(10));
    expect(Number.isFinite(read(mrPretrainStep(pretraining, optimizer, batch)).mim)).toBe(true);
    const gradientNames = Object.keys(applied.mock.calls[0]![0]);
    expect(gradientNames).toContain('fusion.layers.0.image.mlp.fc2.weight');
    expect(gradientNames).not.toContain('fusion.layers.1.image.mlp.fc2.weight');
    batch.images.dispose();
    dispose();
  });

  it('leaks no tensors over steps, and dispose() frees everything', async () => {
    const start = tf.memory().numTensors;
    const { pretraining, optimizer, dispose } = setUp(microPretrainConfig(), 11);
    const batch = microBatch(new SeededRandom(12));
    await expectStableTensorCount(() => {
      const { loss, terms } = mrPretrainStep(pretraining, optimizer, batch);
      return [loss, ...Object.values(terms)];
    });
    batch.images.dispose();
    dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('works as trainStep in core’s trainLoop', async () => {
    const { pretraining, optimizer, dispose } = setUp(microPretrainConfig(), 13, 3);
    const batch = microBatch(new SeededRandom(14));
    const result = await trainLoop({
      model: pretraining.model,
      optimizer,
      maxSteps: 3,
      trainStep: () => {
        const { loss, terms } = mrPretrainStep(pretraining, optimizer, batch);
        tf.dispose(Object.values(terms));
        return loss;
      },
    });
    expect(result.losses).toHaveLength(3);
    batch.images.dispose();
    dispose();
  });

  it('mrPretrainLosses inside valueAndGrads gives the step’s loss, terms and gradients', () => {
    const viaStep = setUp(microPretrainConfig(), 15);
    const viaLosses = setUp(microPretrainConfig(), 15);
    const batch = microBatch(new SeededRandom(16));
    const apply = viaStep.optimizer.applyGradients.bind(viaStep.optimizer);
    let stepGradients: Record<string, Float32Array> = {};
    vi.spyOn(viaStep.optimizer, 'applyGradients').mockImplementation((grads) => {
      stepGradients = Object.fromEntries(Object.entries(grads).map(([name, g]) => [name, Float32Array.from(g.dataSync())]));
      apply(grads);
    });
    const stepValues = read(mrPretrainStep(viaStep.pretraining, viaStep.optimizer, batch));

    const run = (): { values: Record<string, number>; gradients: Record<string, Float32Array> } =>
      tf.tidy(() => {
        let terms: Record<string, number> = {};
        const { value, grads } = valueAndGrads(() => {
          const losses = mrPretrainLosses(viaLosses.pretraining, batch);
          terms = Object.fromEntries(Object.entries(losses.terms).map(([term, scalar]) => [term, scalar.dataSync()[0]!]));
          return losses.total;
        }, viaLosses.pretraining.model.parameters());
        const gradients = Object.fromEntries(Object.entries(grads).map(([name, g]) => [name, Float32Array.from(g.dataSync())]));
        return { values: { loss: value.dataSync()[0]!, ...terms }, gradients };
      });
    const { values, gradients } = run();
    expect(values).toEqual(stepValues);
    expect(Object.keys(gradients).sort()).toEqual(Object.keys(stepGradients).sort());
    for (const name of Object.keys(stepGradients)) expectTensorClose(gradients[name]!, stepGradients[name]!, { atol: 0, rtol: 0, label: name });
    // Same draws in the same order: both generators are at the same place afterwards.
    expect(viaLosses.pretraining.random.state()).toEqual(viaStep.pretraining.random.state());
    // Nothing escapes the caller's tidy (the first run filled the ViTs' position caches).
    const steady = tf.memory().numTensors;
    run();
    expect(tf.memory().numTensors).toBe(steady);
    batch.images.dispose();
    viaStep.dispose();
    viaLosses.dispose();
  });

  it('a fixed plan gives the same losses every time and updates nothing', () => {
    const { pretraining, dispose } = setUp(microPretrainConfig(), 17);
    const batch = microBatch(new SeededRandom(18));
    const plan = drawMrPretrainPlan(pretraining, batch, new SeededRandom('evaluation'));
    const runState = pretraining.random.state();
    const weight = Float32Array.from(pretraining.model.parameterMap().get('vision.blocks.0.mlp.fc1.weight')!.dataSync());
    const measure = (): Record<string, number> =>
      tf.tidy(() => {
        const { total, terms } = mrPretrainLosses(pretraining, batch, plan);
        return { loss: total.dataSync()[0]!, ...Object.fromEntries(Object.entries(terms).map(([term, scalar]) => [term, scalar.dataSync()[0]!])) };
      });
    const first = measure();
    expect(Object.keys(first).sort()).toEqual(['feaMim', 'feaMlm', 'itm', 'loss', 'mim', 'mlm']);
    expect(measure()).toEqual(first);
    expect(pretraining.random.state()).toEqual(runState);
    expectTensorClose(pretraining.model.parameterMap().get('vision.blocks.0.mlp.fc1.weight')!, weight, { atol: 0, rtol: 0 });
    // Another plan gives other losses (the plan is really used).
    const other = drawMrPretrainPlan(pretraining, batch, new SeededRandom('other'));
    const otherLoss = tf.tidy(() => mrPretrainLosses(pretraining, batch, other).total.dataSync()[0]!);
    expect(otherLoss).not.toBe(first.loss);
    // A plan that lacks what an enabled term needs is rejected.
    const { words: _words, ...withoutWords } = plan;
    expect(() => tf.tidy(() => mrPretrainLosses(pretraining, batch, withoutWords).total)).toThrow(InvalidConfigError);
    batch.images.dispose();
    dispose();
  });
});
