import { InvalidConfigError, Linear, type Module, type SeededRandom } from '@umd/core';
import type { UmdModel } from '@umd/encoders';

import { EmaTeacher } from './ema-teacher.js';
import { ItmHead } from '@umd/encoders';
import { MimDecoder } from './mim-decoder.js';
import { MlmHead } from './mlm-head.js';
import { usesTeacher, validateMrPretrainConfig, type MrPretrainConfig } from './mr-pretrain-config.js';

/** The pre-training heads, each registered in `model.heads` under its key; absent when its term is off. */
export interface MrPretrainHeads {
  /** `heads.mimDecoder`: the MAE decoder (L_MIM; its hidden states also feed L_FeaMIM). */
  readonly mimDecoder?: MimDecoder;
  /** `heads.mlm`: L_MLM, tied to `text.embeddings.word.weight`. */
  readonly mlm?: MlmHead;
  /** `heads.itm`: L_ITM. */
  readonly itm?: ItmHead;
  /** `heads.feaMim`: Linear(D_dec → Dv), the decoder's hidden state at a removed patch → the teacher's patch feature. */
  readonly feaMim?: Linear;
  /** `heads.feaMlm`: Linear(D → Dt), the fused text state at a predicted token → the teacher's token feature. */
  readonly feaMlm?: Linear;
}

/** The tokenizer's ids that token masking needs. */
export interface MaskTokenIds {
  /** `[MASK]` (bert-base-uncased: 103). */
  readonly maskTokenId: number;
  /** Never selected and never drawn as random replacements (bert-base-uncased: 0, 100, 101, 102, 103). */
  readonly specialTokenIds: readonly number[];
}

export interface MrPretrainingOptions {
  /** The student. Its `heads` receive the pre-training heads (create the optimizer afterwards). */
  readonly model: UmdModel;
  readonly config: MrPretrainConfig;
  /** Initialises the heads, then draws every mask and ITM pairing (pass the run's generator so resume is exact). */
  readonly random: SeededRandom;
  /** Optimizer steps of the whole run: the teacher momentum reaches `teacherMomentum.end` at this step. */
  readonly totalSteps: number;
  readonly tokens: MaskTokenIds;
}

/** Everything {@link mrPretrainStep} needs besides the optimizer. */
export interface MrPretraining {
  readonly model: UmdModel;
  readonly config: MrPretrainConfig;
  readonly heads: MrPretrainHeads;
  /** The EMA teacher, when L_FeaMIM or L_FeaMLM is on. Not part of `model.parameters()`. */
  readonly teacher: EmaTeacher | undefined;
  readonly random: SeededRandom;
  readonly totalSteps: number;
  readonly tokens: MaskTokenIds;
  /** Frees the teacher. The heads belong to `model` and are freed by `model.dispose()`. */
  dispose(): void;
}

/**
 * Validates `config`, registers the heads of the enabled terms in `model.heads` and builds the EMA teacher (a copy
 * of the student's encoders) when a feature term is on. Create the optimizer from `model.parameters()` after this.
 *
 * @throws InvalidConfigError for an invalid config or when the heads are already registered
 */
export function createMrPretraining(options: MrPretrainingOptions): MrPretraining {
  const { model, config, random } = options;
  validateMrPretrainConfig(config, model.config);
  if (!(Number.isInteger(options.totalSteps) && options.totalSteps > 0)) {
    throw new InvalidConfigError('totalSteps', options.totalSteps, 'a positive integer');
  }
  const { vision, text, fusion } = model.config;
  const grid = vision.imageSize / vision.patchSize;
  const { terms } = config;
  const register = <M extends Module>(name: string, module: M): M => model.heads.register(name, module);

  const needsDecoder = terms.mim || terms.feaMim;
  const heads: MrPretrainHeads = {
    ...(needsDecoder
      ? {
          mimDecoder: register(
            'mimDecoder',
            new MimDecoder(config.decoder, fusion.dim, { height: grid, width: grid, patchPixels: vision.patchSize ** 2 * vision.channels }, random, terms.mim),
          ),
        }
      : {}),
    ...(terms.mlm ? { mlm: register('mlm', new MlmHead(fusion.dim, model.text.wordEmbeddings, random)) } : {}),
    ...(terms.itm ? { itm: register('itm', new ItmHead(2 * fusion.dim, random)) } : {}),
    ...(terms.feaMim ? { feaMim: register('feaMim', new Linear(config.decoder.dim, vision.dim, random)) } : {}),
    ...(terms.feaMlm ? { feaMlm: register('feaMlm', new Linear(fusion.dim, text.dim, random)) } : {}),
  };
  const teacher = usesTeacher(config) ? new EmaTeacher(model) : undefined;
  return {
    model,
    config,
    heads,
    teacher,
    random,
    totalSteps: options.totalSteps,
    tokens: options.tokens,
    dispose: () => teacher?.dispose(),
  };
}
