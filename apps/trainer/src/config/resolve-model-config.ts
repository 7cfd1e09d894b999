import { encoderPresets, type UmdModelConfig } from '@umd/encoders';

import type { PipelineConfig } from './pipeline-config-schema.js';
import { withoutUndefined } from './without-undefined.js';

/**
 * The model a config describes: its preset with the overrides applied (sizes, position embedding, dropout, a vision
 * stem), and the text vocabulary sized to the tokenizer (`vocabSize` of the tokenizer actually used). Keys an override
 * leaves out keep the preset's value.
 */
export function resolveModelConfig(model: PipelineConfig['model'], vocabSize: number): UmdModelConfig {
  const preset: UmdModelConfig = encoderPresets[model.preset];
  const { vision, text, fusion } = model.overrides;
  return {
    vision: { ...preset.vision, ...withoutUndefined(vision) },
    text: { ...preset.text, ...withoutUndefined(text), vocabSize },
    fusion: { ...preset.fusion, ...withoutUndefined(fusion) },
  };
}
