import { encoderPresets, type UmdModelConfig } from '@umd/encoders';

import type { PipelineConfig } from './pipeline-config-schema.js';

/**
 * The model a config describes: its preset with the overrides applied, and the text vocabulary sized to the
 * tokenizer (`vocabSize` of the tokenizer actually used). Keys an override leaves out keep the preset's value.
 */
export function resolveModelConfig(model: PipelineConfig['model'], vocabSize: number): UmdModelConfig {
  const preset: UmdModelConfig = encoderPresets[model.preset];
  const { vision, text, fusion } = model.overrides;
  return {
    vision: { ...preset.vision, ...defined(vision) },
    text: { ...preset.text, ...defined(text), vocabSize },
    fusion: { ...preset.fusion, ...defined(fusion) },
  };
}

/** Drops keys whose value is undefined (zod keeps absent optional keys out, but a spread must not erase preset values). */
function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
