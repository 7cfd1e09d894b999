import type { ImageNormalization } from '@umd/data';
import type { FusionPooling, UmdModelConfig } from '@umd/encoders';

import type { TaskSpec } from '../task-spec.js';
import type { TaskTuning } from '../task-tuning.js';

/** The `format` of a bundle's `config.json`. */
export const modelBundleFormat = 'umd-ts-model-bundle';
export const modelBundleFormatVersion = 1;

/** The files of a bundle, besides `checksums.json` (which lists the SHA-256 of each). */
export const modelBundleFiles = { weights: 'model.safetensors', config: 'config.json', tokenizer: 'tokenizer.json', card: 'README.md' } as const;

/**
 * `config.json` of a model bundle: everything needed to rebuild the model and feed it, as plain JSON (Node and
 * browser loaders read the same file).
 */
export interface ModelBundleConfig {
  readonly format: typeof modelBundleFormat;
  readonly formatVersion: typeof modelBundleFormatVersion;
  /** The task with its classes: `answers` (VQA) or `labels` (classification), class i = logit i. */
  readonly task: TaskSpec;
  readonly model: UmdModelConfig;
  /** How the heads pool the fused streams. */
  readonly pooling: FusionPooling;
  readonly hiddenMultiplier?: number;
  /** Retrieval models: the projection and ITM head settings they were tuned with. */
  readonly retrieval?: TaskTuning['retrieval'];
  /** The image preprocessing: resize the shorter side to `size`, centre crop, grey or RGB, then normalise. */
  readonly image: { readonly size: number; readonly channels: 1 | 3; readonly normalization: ImageNormalization };
  /** Longest token sequence the text encoder takes, [CLS] and [SEP] included. */
  readonly maxTextLength: number;
  /** VQA: a question that offers its answers ("left or right side?") ranks the classes it names first, as the run's evaluation did (`offeredAnswerClasses`). Absent: off. */
  readonly answerChoices?: boolean;
  /** How `model.safetensors` stores the float weights (they load as float32 either way). Absent in older bundles: float32. */
  readonly weightsDtype?: 'float32' | 'float16';
  /** Where the weights came from. */
  readonly source: { readonly checkpoint: string; readonly step: number; readonly exportedAt: string };
}

/** `checksums.json`: SHA-256 (hex) of every other file of the bundle, checked on load. */
export interface ModelBundleChecksums {
  readonly algorithm: 'sha256';
  readonly files: Readonly<Record<string, string>>;
}
