import { mrPretrainPresets } from '@umd/mr-pretrain';
import { describe, expect, it } from 'vitest';

import { loadPipelineConfig, parsePipelineConfig } from './load-pipeline-config.js';
import type { PipelineConfigInput } from './pipeline-config-schema.js';
import { readyConfigs } from './ready-configs.js';
import { resolveMrPretrainConfig } from './resolve-mr-pretrain-config.js';

const resolve = (pretrain: PipelineConfigInput['pretrain']) => resolveMrPretrainConfig(parsePipelineConfig({ name: 'x', pretrain }).pretrain);

describe('resolveMrPretrainConfig', () => {
  it('is the objectives preset itself without overrides (every ready config pre-trains as before)', async () => {
    expect(JSON.stringify(resolve({ objectives: 'full' }))).toBe(JSON.stringify(mrPretrainPresets.full));
    expect(JSON.stringify(resolve({ objectives: 'data-level' }))).toBe(JSON.stringify(mrPretrainPresets.dataLevel));
    for (const ready of readyConfigs()) {
      const config = await loadPipelineConfig(ready.file);
      const preset = config.pretrain.objectives === 'full' ? mrPretrainPresets.full : mrPretrainPresets.dataLevel;
      expect(JSON.stringify(resolveMrPretrainConfig(config.pretrain)), ready.name).toBe(JSON.stringify(preset));
    }
  });

  it('applies every override on top of the preset, keeping what it leaves out', () => {
    const config = resolve({
      objectives: 'data-level',
      terms: { itm: false, feaMim: true },
      weights: { mlm: 0.5 },
      alpha: 0.3,
      imageMaskRatio: 0.6,
      textMaskRatio: 0.25,
      wholeWordMasking: false,
      normPixLoss: false,
      decoder: { dim: 128, depth: 4, heads: 8, mlpDim: 512, input: 0 },
      featureLoss: { beta: 2 },
      teacherMomentum: { start: 0.99 },
    });
    expect(config).toEqual({
      terms: { mim: true, mlm: true, itm: false, feaMim: true, feaMlm: false },
      weights: { mim: 1, mlm: 0.5, itm: 1 },
      alpha: 0.3,
      imageMaskRatio: 0.6,
      textMaskRatio: 0.25,
      wholeWordMasking: false,
      normPixLoss: false,
      decoder: { dim: 128, depth: 4, heads: 8, mlpDim: 512, input: { kind: 'layer', index: 0 } },
      featureLoss: { kind: 'smooth-l1', beta: 2 },
      teacherMomentum: { start: 0.99, end: 1 },
    });
  });

  it('maps the decoder input and the feature loss to their library forms', () => {
    expect(resolve({ decoder: { input: 'last' } }).decoder).toEqual({ ...mrPretrainPresets.full.decoder, input: { kind: 'last' } });
    expect(resolve({ decoder: { depth: 1 } }).decoder).toEqual({ ...mrPretrainPresets.full.decoder, depth: 1 });
    expect(resolve({ featureLoss: { kind: 'cosine' } }).featureLoss).toEqual({ kind: 'cosine' });
    expect(resolve({ featureLoss: { kind: 'smooth-l1' } }).featureLoss).toEqual({ kind: 'smooth-l1', beta: 1 });
  });
});
