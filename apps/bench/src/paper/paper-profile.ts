import { InvalidConfigError } from '@umd/core';
import type { PipelineConfigInput } from '@umd/trainer';

import type { PaperTask } from './paper-grid.js';

/** The budget of a paper benchmark run: how long each kind of unit trains. Plain data, stored in the state file. */
export interface PaperProfile {
  /** `quick` (about 15 min on 2 cores), `full` (a few hours), `micro` (seconds: tests only). */
  readonly name: string;
  /** What was run, in one sentence, for the header of the results. */
  readonly summary: string;
  /** The numbers are a smoke test of the protocol, not results: the results header says so. */
  readonly smoke: boolean;
  /** Seeds per cell when `--seeds` is not given. */
  readonly seeds: number;
  /** The model of every unit: the `model` section of a trainer config, without the tokenizer keys (see `tokenizer`). */
  readonly model: Omit<NonNullable<PipelineConfigInput['model']>, 'tokenizer' | 'tokenizerVocabSize'>;
  /**
   * One tokenizer serves every unit (so that one pre-training serves every task): `bert-base-uncased` (30,522
   * pieces), or a WordPiece vocabulary of at most `vocabSize` pieces trained once per benchmark on every training
   * text (the pre-training captions and each task's training split), kept in `<out>/units/tokenizer.json`.
   */
  readonly tokenizer: { readonly kind: 'bert-base-uncased' } | { readonly kind: 'trained'; readonly vocabSize: number };
  readonly pretrain: {
    /** Optimizer steps per MR variant (give this or `minutes`). */
    readonly steps?: number;
    /** Wall-clock budget per MR variant instead of `steps`. */
    readonly minutes?: number;
    readonly batchSize: number;
    readonly learningRate: number;
    readonly checkpointEvery: number;
    /** Reconstruction grid every this many steps; 0 = none. */
    readonly pictureEvery: number;
  };
  readonly calibrate: {
    /** TD-Calib steps per (pre-training, task). */
    readonly steps: number;
    readonly batchSize: number;
    /**
     * Keep TD-Calib's optional decaying reconstruction loss during the TD-Calib rows' tuning. Off in the shipped
     * profiles (not measured yet; `loadTaskTuning` leaves the MR heads it adds out, so evaluation works either way).
     */
    readonly regularizer: boolean;
    /** Tuning steps over which that reconstruction loss decays to 0. */
    readonly regularizerDecaySteps: number;
  };
  /** How VQA-RAD's validation split is carved from MEVF train (the other datasets ship one). */
  readonly data: {
    /** Share carved out as validation. */
    readonly validationFraction: number;
    /** `image`: each image on one side; `sample`: by question, as MEVF's test split is built (see `@umd/data`'s `carveValidation`). */
    readonly validationCarve: 'image' | 'sample' | 'question';
  };
  readonly finetune: {
    readonly epochs: number;
    /** Epochs of the tasks that tune longer or shorter than `epochs` (the ready configs': VQA-RAD 25). */
    readonly epochsByTask?: Readonly<Partial<Record<PaperTask, number>>>;
    readonly batchSize: number;
    readonly learningRate: number;
    /** Per-group learning-rate multipliers. Absent: the trainer's default (M3AE's 1 / 5 / 50). */
    readonly learningRateMultipliers?: { readonly encoders: number; readonly fusion: number; readonly heads: number };
    /** How the task heads pool the fused streams. Absent: the trainer's default (`cls`). */
    readonly pooling?: 'cls' | 'mean';
    /** GM-Coord's modulation strength α. */
    readonly gmCoordAlpha: number;
    /** Train on at most this many training samples (a seeded subsample, the same for every row and seed); absent: all. */
    readonly maxTrainSamples?: number;
    /** Select the model on at most this many validation samples (seeded subsample); absent: all. Reported splits are never subsampled. */
    readonly maxValidationSamples?: number;
  };
  readonly evaluate: {
    /** Bootstrap resamples of each cell's own interval (results.json); the table shows the interval over seeds. */
    readonly bootstrapResamples: number;
  };
  /** Sizes of the built-in phantom data when the benchmark runs on it (`--phantom`). */
  readonly phantom: { readonly trainImages: number; readonly validateImages: number; readonly testImages: number; readonly size: number };
}

/**
 * Checks a profile's numbers (a profile is stored in the state file and may come from a user's edit).
 *
 * @throws InvalidConfigError naming the first field at fault (`profile.pretrain.steps`) and what it accepts
 */
export function validatePaperProfile(profile: PaperProfile): PaperProfile {
  const positiveInteger = (key: string, value: unknown, minimum = 1): void => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum) {
      throw new InvalidConfigError(`profile.${key}`, value, `an integer ≥ ${minimum}`);
    }
  };
  const positiveNumber = (key: string, value: unknown): void => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new InvalidConfigError(`profile.${key}`, value, 'a number > 0');
  };
  if (typeof profile.name !== 'string' || profile.name === '') throw new InvalidConfigError('profile.name', profile.name, 'a non-empty string');
  positiveInteger('seeds', profile.seeds);
  if (profile.tokenizer?.kind === 'trained') positiveInteger('tokenizer.vocabSize', profile.tokenizer.vocabSize, 100);
  else if (profile.tokenizer?.kind !== 'bert-base-uncased') {
    throw new InvalidConfigError('profile.tokenizer', profile.tokenizer, "{ kind: 'bert-base-uncased' } or { kind: 'trained', vocabSize }");
  }
  const { pretrain, calibrate, finetune, evaluate, phantom } = profile;
  if ((pretrain.steps === undefined) === (pretrain.minutes === undefined)) {
    throw new InvalidConfigError('profile.pretrain', { steps: pretrain.steps, minutes: pretrain.minutes }, 'exactly one of steps and minutes');
  }
  if (pretrain.steps !== undefined) positiveInteger('pretrain.steps', pretrain.steps);
  if (pretrain.minutes !== undefined) positiveNumber('pretrain.minutes', pretrain.minutes);
  positiveInteger('pretrain.batchSize', pretrain.batchSize, 2);
  positiveNumber('pretrain.learningRate', pretrain.learningRate);
  positiveInteger('pretrain.checkpointEvery', pretrain.checkpointEvery);
  positiveInteger('pretrain.pictureEvery', pretrain.pictureEvery, 0);
  positiveInteger('calibrate.steps', calibrate.steps);
  positiveInteger('calibrate.batchSize', calibrate.batchSize, 2);
  if (typeof calibrate.regularizer !== 'boolean') throw new InvalidConfigError('profile.calibrate.regularizer', calibrate.regularizer, 'true or false');
  positiveInteger('calibrate.regularizerDecaySteps', calibrate.regularizerDecaySteps);
  const { data } = profile;
  if (!(typeof data?.validationFraction === 'number' && data.validationFraction > 0 && data.validationFraction < 1)) {
    throw new InvalidConfigError('profile.data.validationFraction', data?.validationFraction, 'a number in (0, 1)');
  }
  if (data.validationCarve !== 'image' && data.validationCarve !== 'sample' && data.validationCarve !== 'question') {
    throw new InvalidConfigError('profile.data.validationCarve', data.validationCarve, "'image', 'sample' or 'question'");
  }
  positiveInteger('finetune.epochs', finetune.epochs);
  for (const [task, epochs] of Object.entries(finetune.epochsByTask ?? {})) positiveInteger(`finetune.epochsByTask.${task}`, epochs);
  positiveInteger('finetune.batchSize', finetune.batchSize);
  positiveNumber('finetune.learningRate', finetune.learningRate);
  if (typeof finetune.gmCoordAlpha !== 'number' || !(finetune.gmCoordAlpha >= 0)) {
    throw new InvalidConfigError('profile.finetune.gmCoordAlpha', finetune.gmCoordAlpha, 'a number ≥ 0');
  }
  for (const [group, value] of Object.entries(finetune.learningRateMultipliers ?? {})) positiveNumber(`finetune.learningRateMultipliers.${group}`, value);
  if (finetune.pooling !== undefined && finetune.pooling !== 'cls' && finetune.pooling !== 'mean') {
    throw new InvalidConfigError('profile.finetune.pooling', finetune.pooling, "'cls' or 'mean'");
  }
  if (finetune.maxTrainSamples !== undefined) positiveInteger('finetune.maxTrainSamples', finetune.maxTrainSamples, finetune.batchSize);
  if (finetune.maxValidationSamples !== undefined) positiveInteger('finetune.maxValidationSamples', finetune.maxValidationSamples);
  positiveInteger('evaluate.bootstrapResamples', evaluate.bootstrapResamples, 0);
  positiveInteger('phantom.trainImages', phantom.trainImages);
  positiveInteger('phantom.validateImages', phantom.validateImages);
  positiveInteger('phantom.testImages', phantom.testImages);
  positiveInteger('phantom.size', phantom.size, 32);
  return profile;
}
