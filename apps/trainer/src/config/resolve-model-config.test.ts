import { encoderPresets } from '@umd/encoders';
import { describe, expect, it } from 'vitest';

import { loadPipelineConfig, parsePipelineConfig } from './load-pipeline-config.js';
import type { PipelineConfigInput } from './pipeline-config-schema.js';
import { readyConfigs } from './ready-configs.js';
import { resolveModelConfig } from './resolve-model-config.js';

const resolve = (model: PipelineConfigInput['model']) => resolveModelConfig(parsePipelineConfig({ name: 'x', model }).model, 1000);

describe('resolveModelConfig', () => {
  it('gives the preset with the ready configs’ overrides only (no new key appears)', async () => {
    for (const ready of readyConfigs()) {
      const config = await loadPipelineConfig(ready.file);
      const preset = encoderPresets[config.model.preset];
      const model = resolveModelConfig(config.model, 1000);
      expect(JSON.stringify(model), ready.name).toBe(
        JSON.stringify({
          vision: { ...preset.vision, ...config.model.overrides.vision },
          text: { ...preset.text, ...config.model.overrides.text, vocabSize: 1000 },
          fusion: { ...preset.fusion, ...config.model.overrides.fusion },
        }),
      );
    }
  });

  it('passes the vision stem, position embedding and dropout of each part to the model config', () => {
    const model = resolve({
      overrides: {
        vision: {
          ...{ imageSize: 224, patchSize: 16, channels: 3, stem: { kind: 'mobilenet-v2', layer: 'block_13_expand_relu' } },
          ...{ positionEmbedding: 'learned', dropout: 0.1 },
        },
        text: { dropout: 0.2 },
        fusion: { dropout: 0.3 },
      },
    });
    expect(model.vision).toEqual({
      ...encoderPresets.tiny.vision,
      imageSize: 224,
      patchSize: 16,
      channels: 3,
      stem: { kind: 'mobilenet-v2', layer: 'block_13_expand_relu' },
      positionEmbedding: 'learned',
      dropout: 0.1,
    });
    expect(model.text).toEqual({ ...encoderPresets.tiny.text, vocabSize: 1000, dropout: 0.2 });
    expect(model.fusion).toEqual({ ...encoderPresets.tiny.fusion, dropout: 0.3 });
    const outRelu = resolve({ overrides: { vision: { imageSize: 224, patchSize: 32, channels: 3, stem: { kind: 'mobilenet-v2' } } } });
    expect(outRelu.vision.stem).toEqual({ kind: 'mobilenet-v2' });
  });
});
