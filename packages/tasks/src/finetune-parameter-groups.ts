import { InvalidConfigError, type AdamWParameterGroup } from '@umd/core';
import type { UmdModel } from '@umd/encoders';

/** Learning-rate multipliers per part of the model (M3AE: `lr_mult_cross_modal` 5, `lr_mult_head` 50). */
export interface FinetuneMultipliers {
  /** `vision.*` and `text.*`. Default 1. */
  readonly encoders?: number;
  /** `vision.*` only, overriding `encoders` (e.g. a lower rate on a small image set that the image stream memorises). */
  readonly vision?: number;
  /** `vision.stemTop.*` only (the tuned blocks of a pre-trained stem, `vision.stem.tunedBlocks`), overriding `vision`. */
  readonly stem?: number;
  /** `text.*` only, overriding `encoders`. */
  readonly text?: number;
  /** `text.embeddings.word` only, overriding `text` (e.g. 0: keep word vectors as they were loaded). */
  readonly wordEmbeddings?: number;
  /** `fusion.*`. Default 5. */
  readonly fusion?: number;
  /** `heads.*`. Default 50. */
  readonly heads?: number;
}

/** The defaults of {@link FinetuneMultipliers}, M3AE's. */
export const defaultFinetuneMultipliers = { encoders: 1, fusion: 5, heads: 50 } as const satisfies Required<
  Pick<FinetuneMultipliers, 'encoders' | 'fusion' | 'heads'>
>;

/**
 * AdamW parameter groups for task tuning: the freshly initialised heads and the fusion layers learn faster than the
 * pre-trained encoders, as in M3AE. Pass them as `new AdamW(model.parameters(), { learningRate, groups })`; the
 * optimizer's rate is the encoders' base rate times `encoders`.
 *
 * @returns groups for `heads.`, `fusion.`, `vision.stemTop.`, `vision.`, `text.embeddings.word` and `text.` (only prefixes some parameter of
 *   `model` has; the first matching prefix wins)
 * @throws InvalidConfigError for a multiplier that is not a finite number ≥ 0
 */
export function finetuneParameterGroups(model: UmdModel, multipliers: FinetuneMultipliers = {}): AdamWParameterGroup[] {
  const merged = { ...defaultFinetuneMultipliers, ...multipliers };
  const text = merged.text ?? merged.encoders;
  const vision = merged.vision ?? merged.encoders;
  const resolved = { ...merged, vision, stem: merged.stem ?? vision, text, wordEmbeddings: merged.wordEmbeddings ?? text };
  for (const [key, value] of Object.entries(resolved)) {
    if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) throw new InvalidConfigError(`multipliers.${key}`, value, 'a finite number ≥ 0');
  }
  const names = model.parameters().map((parameter) => parameter.name);
  const groups: AdamWParameterGroup[] = [
    { prefix: 'heads.', learningRateMultiplier: resolved.heads },
    { prefix: 'fusion.', learningRateMultiplier: resolved.fusion },
    { prefix: 'vision.stemTop.', learningRateMultiplier: resolved.stem },
    { prefix: 'vision.', learningRateMultiplier: resolved.vision },
    { prefix: 'text.embeddings.word', learningRateMultiplier: resolved.wordEmbeddings },
    { prefix: 'text.', learningRateMultiplier: resolved.text },
  ];
  return groups.filter((group) => names.some((name) => name.startsWith(group.prefix)));
}
