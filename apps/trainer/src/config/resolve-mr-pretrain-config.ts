import { mrPretrainPresets, type FeatureLossConfig, type MimDecoderConfig, type MrPretrainConfig } from '@umd/mr-pretrain';

import type { PipelineConfig } from './pipeline-config-schema.js';
import { withoutUndefined } from './without-undefined.js';

/**
 * The MR-Pretrain config a `pretrain` section describes: the `objectives` preset (`data-level` or `full`) with the
 * section's overrides applied (terms, weights, α, mask ratios, masking, decoder, feature loss, teacher momentum). Keys
 * left out keep the preset's value, so a section without overrides gives the preset itself.
 */
export function resolveMrPretrainConfig(pretrain: PipelineConfig['pretrain']): MrPretrainConfig {
  const preset: MrPretrainConfig = pretrain.objectives === 'full' ? mrPretrainPresets.full : mrPretrainPresets.dataLevel;
  const { terms, weights, alpha, imageMaskRatio, textMaskRatio, wholeWordMasking, normPixLoss, decoder, featureLoss, teacherMomentum } = pretrain;
  return {
    ...preset,
    terms: { ...preset.terms, ...withoutUndefined(terms ?? {}) },
    weights: { ...preset.weights, ...withoutUndefined(weights ?? {}) },
    ...withoutUndefined({ alpha, imageMaskRatio, textMaskRatio, wholeWordMasking, normPixLoss }),
    decoder: decoderOf(preset.decoder, decoder),
    featureLoss: featureLossOf(preset.featureLoss, featureLoss),
    teacherMomentum: { ...preset.teacherMomentum, ...withoutUndefined(teacherMomentum ?? {}) },
  };
}

function decoderOf(preset: MimDecoderConfig, overrides: PipelineConfig['pretrain']['decoder']): MimDecoderConfig {
  if (!overrides) return preset;
  const { input, ...sizes } = overrides;
  return {
    ...preset,
    ...withoutUndefined(sizes),
    ...(input === undefined ? {} : { input: input === 'last' ? { kind: 'last' } : { kind: 'layer', index: input } }),
  };
}

function featureLossOf(preset: FeatureLossConfig, overrides: PipelineConfig['pretrain']['featureLoss']): FeatureLossConfig {
  if (!overrides) return preset;
  const kind = overrides.kind ?? preset.kind;
  if (kind === 'cosine') return { kind };
  return { kind, beta: overrides.beta ?? (preset.kind === 'smooth-l1' ? preset.beta : 1) };
}
