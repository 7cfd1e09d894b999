import { InvalidConfigError } from '@umd/core';
import type { UmdModelConfig } from '@umd/encoders';

/** The five objectives. */
export type MrTerm = 'mim' | 'mlm' | 'itm' | 'feaMim' | 'feaMlm';

export const mrTerms: readonly MrTerm[] = ['mim', 'mlm', 'itm', 'feaMim', 'feaMlm'];

/** The MAE decoder behind L_MIM (and L_FeaMIM, which reads its hidden states). */
export interface MimDecoderConfig {
  /** Width D_dec (MAE-Base: 512; divisible by 4 for the sin-cos positions and by `heads`). */
  readonly dim: number;
  /** Pre-LN transformer blocks (MAE-Base: 8). */
  readonly depth: number;
  readonly heads: number;
  /** MLP hidden width (4·D_dec in MAE). */
  readonly mlpDim: number;
  /**
   * Which image stream the decoder reads: `{ kind: 'last' }` the fused image stream after the final LayerNorm, or
   * `{ kind: 'layer', index }` the output of fusion layer `index` (0-based; M3AE decodes from a middle layer).
   */
  readonly input: { readonly kind: 'last' } | { readonly kind: 'layer'; readonly index: number };
}

/** How a student prediction is compared with the teacher's features. */
export type FeatureLossConfig =
  /** Smooth-L1 with threshold `beta` (quadratic below, linear above; data2vec), averaged over features. */
  | { readonly kind: 'smooth-l1'; readonly beta: number }
  /** 1 − cosine similarity per position. */
  | { readonly kind: 'cosine' };

/**
 * MR-Pretrain: which objectives run and how they are weighted. Plain data; stored in checkpoints.
 *
 * L = w_mim·L_MIM + w_mlm·L_MLM + w_itm·L_ITM + α·(L_FeaMIM + L_FeaMLM), each term only when enabled.
 */
export interface MrPretrainConfig {
  /** Which terms are on. A term that is off creates no head and costs nothing. */
  readonly terms: Readonly<Record<MrTerm, boolean>>;
  /** w_mim, w_mlm, w_itm (≥ 0; DESIGN: 1 each). */
  readonly weights: { readonly mim: number; readonly mlm: number; readonly itm: number };
  /** α, the weight of the two feature terms (≥ 0). */
  readonly alpha: number;
  /** Fraction of image patches removed (MAE: 0.75). */
  readonly imageMaskRatio: number;
  /** Fraction of words predicted (BERT: 0.15). */
  readonly textMaskRatio: number;
  /** Whole-word masking (default true; false masks WordPiece tokens independently). */
  readonly wholeWordMasking: boolean;
  /** MAE's norm_pix_loss: targets are each patch's pixels normalised by its own mean and std (default true). */
  readonly normPixLoss: boolean;
  readonly decoder: MimDecoderConfig;
  readonly featureLoss: FeatureLossConfig;
  /** EMA teacher momentum m, cosine from `start` at step 0 to `end` at the last step (BYOL; default 0.996 → 1). */
  readonly teacherMomentum: { readonly start: number; readonly end: number };
}

const common = {
  weights: { mim: 1, mlm: 1, itm: 1 },
  alpha: 1,
  imageMaskRatio: 0.75,
  textMaskRatio: 0.15,
  wholeWordMasking: true,
  normPixLoss: true,
  // Small next to the tiny encoders (width 128): MAE's decoder is also narrower and shallower than its encoder.
  decoder: { dim: 64, depth: 2, heads: 4, mlpDim: 256, input: { kind: 'last' } },
  featureLoss: { kind: 'smooth-l1', beta: 1 },
  teacherMomentum: { start: 0.996, end: 1 },
} as const satisfies Omit<MrPretrainConfig, 'terms'>;

/**
 * - `dataLevel`: M3AE-like, L_MIM + L_MLM + L_ITM; no teacher, no feature terms.
 * - `full`: all five terms (DESIGN's total with α = 1).
 */
export const mrPretrainPresets = {
  dataLevel: { ...common, terms: { mim: true, mlm: true, itm: true, feaMim: false, feaMlm: false } },
  full: { ...common, terms: { mim: true, mlm: true, itm: true, feaMim: true, feaMlm: true } },
} as const satisfies Record<string, MrPretrainConfig>;

/** True when the config needs the EMA teacher. */
export function usesTeacher(config: MrPretrainConfig): boolean {
  return config.terms.feaMim || config.terms.feaMlm;
}

/**
 * Checks a config against the model it will train.
 *
 * @throws InvalidConfigError naming the first offending key
 */
export function validateMrPretrainConfig(config: MrPretrainConfig, model: UmdModelConfig): void {
  if (!mrTerms.some((term) => config.terms[term])) throw new InvalidConfigError('terms', config.terms, 'at least one term set to true');
  for (const key of ['mim', 'mlm', 'itm'] as const) {
    if (!(Number.isFinite(config.weights[key]) && config.weights[key] >= 0))
      throw new InvalidConfigError(`weights.${key}`, config.weights[key], 'a finite number ≥ 0');
  }
  if (!(Number.isFinite(config.alpha) && config.alpha >= 0)) throw new InvalidConfigError('alpha', config.alpha, 'a finite number ≥ 0');
  if (!(config.imageMaskRatio > 0 && config.imageMaskRatio < 1)) throw new InvalidConfigError('imageMaskRatio', config.imageMaskRatio, 'a ratio in (0, 1)');
  if (!(config.textMaskRatio > 0 && config.textMaskRatio <= 1)) throw new InvalidConfigError('textMaskRatio', config.textMaskRatio, 'a ratio in (0, 1]');
  const { start, end } = config.teacherMomentum;
  if (!(start >= 0 && start <= end && end <= 1)) {
    throw new InvalidConfigError('teacherMomentum', config.teacherMomentum, '0 ≤ start ≤ end ≤ 1');
  }
  if (config.featureLoss.kind === 'smooth-l1' && !(config.featureLoss.beta > 0)) {
    throw new InvalidConfigError('featureLoss.beta', config.featureLoss.beta, 'a number > 0');
  }
  if (config.terms.mim || config.terms.feaMim) {
    const { dim, depth, heads, mlpDim, input } = config.decoder;
    for (const [key, value] of Object.entries({ dim, depth, heads, mlpDim })) {
      if (!(Number.isInteger(value) && value > 0)) throw new InvalidConfigError(`decoder.${key}`, value, 'a positive integer');
    }
    if (dim % 4 !== 0 || dim % heads !== 0) throw new InvalidConfigError('decoder.dim', dim, `a multiple of 4 and of decoder.heads (${heads})`);
    if (input.kind === 'layer' && !(Number.isInteger(input.index) && input.index >= 0 && input.index < model.fusion.depth)) {
      throw new InvalidConfigError('decoder.input.index', input.index, `a fusion layer index in [0, ${model.fusion.depth})`);
    }
  }
}
