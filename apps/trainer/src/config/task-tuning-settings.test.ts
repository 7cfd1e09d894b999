import { describe, expect, it } from 'vitest';

import { loadPipelineConfig, parsePipelineConfig } from './load-pipeline-config.js';
import type { PipelineConfig, PipelineConfigInput } from './pipeline-config-schema.js';
import { readyConfigs } from './ready-configs.js';
import { taskTuningSettings } from './task-tuning-settings.js';

const image = { cacheDir: '/cache', memoryCacheMiB: 256 };
const settingsOf = (finetune: PipelineConfigInput['finetune']) => taskTuningSettings(parsePipelineConfig({ name: 'x', finetune }).finetune, image);

/** What the finetune stage passed to `runTaskTuning` before the tuning knobs existed. */
function formerOptions(finetune: PipelineConfig['finetune']): Record<string, unknown> {
  return {
    batchSize: finetune.batchSize,
    epochs: finetune.epochs,
    learningRate: { base: finetune.learningRate, multipliers: finetune.learningRateMultipliers },
    ...(finetune.gmCoord.enabled ? { gmCoord: { strategy: finetune.gmCoord.strategy, alpha: finetune.gmCoord.alpha } } : {}),
    ...(finetune.blindImage ? { blindImage: true } : {}),
    image,
  };
}

describe('taskTuningSettings', () => {
  it('gives every ready config that uses only the former keys exactly the options it had before (same keys, same order: same checkpoints)', async () => {
    const formerKeys = new Set(['epochs', 'members', 'batchSize', 'learningRate', 'learningRateMultipliers', 'gmCoord', 'blindImage']); // members: the stage's loop, not runTaskTuning's
    let checked = 0;
    for (const ready of readyConfigs()) {
      const { finetune } = await loadPipelineConfig(ready.file);
      if (Object.keys(finetune).some((key) => !formerKeys.has(key))) continue; // uses a tuning knob added since
      checked++;
      const settings = taskTuningSettings(finetune, image);
      expect(settings, ready.name).toStrictEqual(formerOptions(finetune));
      expect(JSON.stringify(settings.learningRate)).toBe(JSON.stringify(formerOptions(finetune)['learningRate']));
    }
    expect(checked).toBeGreaterThanOrEqual(1); // phantom at least (the dataset configs set pooling)
    expect(settingsOf({ blindImage: true })).toStrictEqual(formerOptions(parsePipelineConfig({ name: 'x', finetune: { blindImage: true } }).finetune));
  });

  it('passes the schedule, per-encoder multipliers and weight decay to learningRate', () => {
    const settings = settingsOf({
      learningRate: 2e-4,
      learningRateMultipliers: { encoders: 0.5, vision: 0.1, text: 2, heads: 20 },
      warmupFraction: 0.05,
      decay: 'cosine',
      minLearningRate: 1e-6,
      weightDecay: 0.05,
    });
    expect(settings.learningRate).toStrictEqual({
      base: 2e-4,
      warmupFraction: 0.05,
      min: 1e-6,
      decay: 'cosine',
      weightDecay: 0.05,
      multipliers: { encoders: 0.5, fusion: 5, heads: 20, vision: 0.1, text: 2 },
    });
    expect(settingsOf({ warmupSteps: 30 }).learningRate).toMatchObject({ warmupSteps: 30 });
  });

  it('passes pooling, head width, extra validation passes, label smoothing, patch dropout and class balance', () => {
    expect(settingsOf({ pooling: 'mean', hiddenMultiplier: 3, evaluateEvery: 50, labelSmoothing: 0.1, imageTokenDrop: 0.25, classBalance: 0.5 })).toMatchObject(
      {
        pooling: 'mean',
        hiddenMultiplier: 3,
        evaluateEvery: 50,
        labelSmoothing: 0.1,
        imageTokenDrop: 0.25,
        classBalance: 0.5,
      },
    );
    expect(settingsOf({})).not.toHaveProperty('imageTokenDrop');
  });

  it('passes every GM-Coord option when enabled, and none when not', () => {
    const gmCoord = { enabled: true, strategy: 'agm', alpha: 0.2, noise: false, emaDecay: 0.9, warmupSteps: 10, stopStep: 500, minCoefficient: 0.1 } as const;
    const { enabled: _enabled, ...options } = gmCoord;
    expect(settingsOf({ gmCoord }).gmCoord).toStrictEqual(options);
    expect(settingsOf({ gmCoord: { ...gmCoord, enabled: false } })).not.toHaveProperty('gmCoord');
  });

  it('maps augment to the training pipeline’s crop, over the shared image settings', () => {
    expect(settingsOf({ augment: { crop: 'random-resized', scale: [0.7, 1], ratio: [0.9, 1.1] } }).image).toStrictEqual({
      ...image,
      crop: { kind: 'random-resized', scale: [0.7, 1], ratio: [0.9, 1.1] },
    });
    expect(settingsOf({ augment: { crop: 'random-resized' } }).image).toStrictEqual({ ...image, crop: { kind: 'random-resized' } });
    expect(settingsOf({ augment: {} }).image).toStrictEqual({ ...image, crop: { kind: 'centre' } });
    expect(settingsOf({}).image).toStrictEqual(image);
  });
});
