import path from 'node:path';

import { CheckpointMismatchError, InvalidConfigError, latestCheckpoint, readCheckpoint, readSafetensorsHeader, type CheckpointMetadata } from '@umd/core';
import { createImagePipeline, imageNormalizations, type ImageNormalization, type ImagePipelineConfig, type Sample, type WordPieceTokenizer } from '@umd/data';
import type { UmdModel } from '@umd/encoders';
import { createMrTraining, type MrLearningRate, type MrPretrainConfig, type MrPretrainEvent, type MrTerm } from '@umd/mr-pretrain';

import { assertAllowedSplits, defaultAllowedSplits } from './assert-allowed-splits.js';
import { estimateImageStatistics } from './estimate-image-statistics.js';
import { createFixedEvaluation, measureMrLosses, type MrLossValues } from './measure-mr-losses.js';
import { loadMrWeights, mrCheckpointInfo, saveMrCheckpoint, withTerms } from './mr-checkpoint.js';

/** The calibration learning rate is this fraction of the pre-training base rate unless `learningRate.base` is given. */
export const defaultLearningRateFraction = 0.1;

/** Options of {@link calibrate}. */
export interface CalibrateOptions {
  /**
   * The MR pre-training checkpoint to start from (`runMrPretraining`'s, or a calibrated one): weights `vision.*`,
   * `text.*`, `fusion.*`, `heads.*` and `extra/teacher/*`; metadata `config.model` and `config.mrPretrain`.
   */
  readonly checkpoint: string;
  /**
   * Downstream TRAINING samples. Each contributes its image and its text: the question (VQA), the caption (caption) or
   * the text (classification). Checked against `allowedSplits` before anything else happens.
   */
  readonly samples: readonly Sample[];
  /** The tokenizer of pre-training (its vocabulary must fit `model.text.vocabSize`; its `[MASK]` drives token masking). */
  readonly tokenizer: WordPieceTokenizer;
  /** Optimizer steps of calibration (a few hundred in DESIGN). */
  readonly steps: number;
  readonly batchSize: number;
  /**
   * Warm-up + cosine, as in pre-training. Defaults: `base` = {@link defaultLearningRateFraction} × the pre-training
   * base rate stored in the checkpoint; `warmupSteps` = 10% of `steps`; `min` 0; weight decay 0.05; β₂ 0.95.
   */
  readonly learningRate?: Partial<MrLearningRate>;
  /** The MR objectives. Default: the checkpoint's `config.mrPretrain` (what `runMrPretraining` stores). */
  readonly mrConfig?: MrPretrainConfig;
  /**
   * Switch terms on or off on top of `mrConfig` (e.g. `{ itm: false }`). A term switched on needs its head in the
   * checkpoint; feature terms also need the teacher.
   */
  readonly terms?: Partial<Record<MrTerm, boolean>>;
  /**
   * Re-estimate the input normalisation on the downstream training images (default true; false for a model with a
   * frozen vision stem). False keeps the normalisation the checkpoint was trained with (`pretrainingNormalization`).
   * With a stem (`model.vision.stem`) it must stay false: the stem's frozen batch norms expect its ImageNet inputs,
   * so new statistics would shift every feature it makes; calibration then continues the MR objectives on the
   * downstream images and texts only.
   */
  readonly reestimateStatistics?: boolean;
  /** Images measured for the statistics, chosen with `seed`. Default: every distinct training image. */
  readonly statisticsMaxImages?: number;
  /**
   * The normalisation the checkpoint's weights were trained with. Default: the checkpoint's `imageNormalization`
   * (calibrated checkpoints), else the image pipeline's default for the channel count (what `runMrPretraining` uses
   * unless told otherwise: grey [0, 1] → [−1, 1]).
   */
  readonly pretrainingNormalization?: ImageNormalization;
  /** Image pipeline settings besides size, channels and normalisation (crop, cache). Default: centre crop, no cache. */
  readonly image?: Omit<ImagePipelineConfig, 'size' | 'channels' | 'normalization'>;
  /** Batches of `batchSize` in the fixed set on which the losses before and after are measured. Default 4. */
  readonly evaluationBatches?: number;
  /** Seeds the masks, the loader's order, the statistics' choice of images and the evaluation set. */
  readonly seed: number;
  /** Receives `metrics.jsonl`, `checkpoints/` (for resume) and `calibrated.safetensors`. */
  readonly outDir: string;
  /** A resumable checkpoint every this many steps (and at the end). Default 100. */
  readonly checkpointEvery?: number;
  /** Continue from the newest checkpoint in `outDir/checkpoints` (a fresh start if there is none). */
  readonly resume?: boolean;
  /** Stops after the current step, writing a resumable checkpoint first; no calibrated checkpoint is written then. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: CalibrationEvent) => void;
  /**
   * The splits `samples` may come from. Default `['train']`. Never add a split used for model selection or final
   * numbers: a validation split carved from train (VQA-RAD) carries split `'validate'`.
   */
  readonly allowedSplits?: readonly string[];
}

/** Events of a calibration, noun-verb named: the statistics, the loss measurements and the training loop's own events. */
export type CalibrationEvent =
  | Exclude<MrPretrainEvent, { type: 'picture-save' }>
  | { readonly type: 'statistics-end'; readonly normalization: ImageNormalization; readonly images: number; readonly ms: number }
  | {
      readonly type: 'evaluation-end';
      /** `before`: the checkpoint as it was; `renormalized`: the same weights with the new statistics; `after`: calibrated. */
      readonly phase: 'before' | 'renormalized' | 'after';
      readonly losses: MrLossValues;
      readonly ms: number;
    };

export interface CalibrationResult {
  /** The calibrated checkpoint (`outDir/calibrated.safetensors`); after an abort, the resumable checkpoint instead. */
  readonly checkpoint: string;
  readonly reason: 'completed' | 'aborted';
  /** The normalisation of the calibrated model (stored as `umd.imageNormalization`). */
  readonly imageNormalization: ImageNormalization;
  /** The checkpoint's MR losses on the fixed downstream set, with the normalisation it was trained with. */
  readonly lossBefore: MrLossValues;
  /** The same weights with the re-estimated statistics (absent when `reestimateStatistics` is false). */
  readonly lossRenormalized?: MrLossValues;
  /** The calibrated model's MR losses on the same batches, masks and pairings (teacher targets are the calibrated teacher's). */
  readonly lossAfter: MrLossValues;
  /** Optimizer steps completed. */
  readonly steps: number;
  /** One JSON object per step: `{ step, <term>…, total, lr, ms }`. */
  readonly metricsPath: string;
}

/** `umd.calibration` in a calibrated checkpoint's metadata: where the weights came from and what calibration did. */
export interface CalibrationRecord {
  /** Absolute path of the starting checkpoint. */
  readonly from: string;
  readonly steps: number;
  /** Samples calibration was given, and how many per split (only allowed splits can appear). */
  readonly samples: number;
  readonly splits: Readonly<Record<string, number>>;
  readonly allowedSplits: readonly string[];
  /** Distinct images the statistics were measured on (absent when they were not re-estimated). */
  readonly statisticsImages?: number;
  /** The normalisation the starting weights were trained with. */
  readonly pretrainingNormalization: ImageNormalization;
  readonly terms: Readonly<Record<MrTerm, boolean>>;
  readonly learningRate: MrLearningRate;
  readonly batchSize: number;
  readonly seed: number;
  readonly lossBefore: MrLossValues;
  readonly lossRenormalized?: MrLossValues;
  readonly lossAfter: MrLossValues;
}

/** The metadata (`__metadata__.umd`) of `calibrated.safetensors`, as `readCheckpoint` returns it. */
export interface CalibratedCheckpointMetadata extends CheckpointMetadata {
  /** `model` and `mrPretrain` rebuild the model and its MR heads (as in a pre-training checkpoint). */
  config: Omit<CalibrationRunConfig, 'calibration'>;
  /** The re-estimated input statistics: give them to the image pipeline (`ImagePipelineConfig.normalization`). */
  imageNormalization: ImageNormalization;
  calibration: CalibrationRecord;
}

/** What the run stores under `config` in its resumable checkpoints (and, completed, in the calibrated one). */
export interface CalibrationRunConfig {
  readonly model: UmdModel['config'];
  readonly mrPretrain: MrPretrainConfig;
  readonly learningRate: MrLearningRate;
  readonly batchSize: number;
  readonly steps: number;
  readonly seed: number;
  readonly calibration: { readonly from: string; readonly imageNormalization: ImageNormalization };
}

/**
 * TD-Calib: calibrates a pre-trained model to the downstream distribution before task tuning. In order:
 * 1. checks every sample's split against `allowedSplits` (the leakage guard; nothing is read before it passes);
 * 2. loads the checkpoint into a `UmdModel` with its MR heads and EMA teacher;
 * 3. re-estimates the input normalisation on the downstream training images ({@link estimateImageStatistics});
 * 4. measures the MR losses on a fixed set of downstream training batches (fixed masks and pairings);
 * 5. continues the MR objectives on the downstream images and texts for `steps` steps (core's `trainLoop`: AdamW,
 *    warm-up + cosine, the teacher's EMA, resumable checkpoints, `metrics.jsonl`);
 * 6. measures the losses again and writes `outDir/calibrated.safetensors`: the same weight names as MR pre-training
 *    (`vision.*`, `text.*`, `fusion.*`, `heads.*`, `extra/teacher/*`), metadata `umd.config.model` and
 *    `umd.config.mrPretrain` (to rebuild the model and heads), `umd.imageNormalization` = `{ mean, std }` and
 *    `umd.calibration` = `{ from, steps, samples, images, splits, lossBefore, lossRenormalized, lossAfter, … }`.
 *
 * Reports through `onEvent` only. Frees every tensor it creates.
 *
 * @throws CalibrationDataError when a sample's split is not allowed (before any work)
 * @throws InvalidConfigError for an invalid option
 * @throws CheckpointFormatError when the checkpoint is not an MR pre-training checkpoint
 * @throws CheckpointMismatchError when it lacks a head or the teacher of an enabled term, or a resume checkpoint was
 *   written with other statistics
 */
export async function calibrate(options: CalibrateOptions): Promise<CalibrationResult> {
  assertAllowedSplits(options.samples, options.allowedSplits ?? defaultAllowedSplits);
  const { samples, tokenizer, steps, batchSize, seed, outDir } = options;
  const { checkpointEvery, evaluationBatches } = validateOptions(options);

  const loaded = await readCheckpoint(options.checkpoint);
  const info = mrCheckpointInfo(loaded.metadata, options.checkpoint);
  const modelConfig = info.model;
  const config = withTerms(options.mrConfig ?? info.mrPretrain, options.terms);
  if (tokenizer.vocabSize > modelConfig.text.vocabSize) {
    throw new InvalidConfigError(
      'tokenizer',
      tokenizer.vocabSize,
      `a vocabulary of at most model.text.vocabSize = ${modelConfig.text.vocabSize} (the pre-training tokenizer)`,
    );
  }
  const learningRate = resolveLearningRate(options.learningRate, info.baseLearningRate, steps);
  const reestimateStatistics = options.reestimateStatistics ?? modelConfig.vision.stem === undefined;
  if (reestimateStatistics && modelConfig.vision.stem !== undefined) {
    throw new InvalidConfigError(
      'reestimateStatistics',
      true,
      `false for a model with a frozen vision stem (${modelConfig.vision.stem.kind}): its inputs must keep the ImageNet statistics its batch norms were trained on`,
    );
  }
  const { imageSize, channels: modelChannels } = modelConfig.vision;
  const channels = modelChannels as 1 | 3;

  // The statistics (deterministic for the seed, so a resumed run gets the same ones).
  const pretrainingNormalization =
    options.pretrainingNormalization ?? info.imageNormalization ?? (channels === 3 ? imageNormalizations.imagenet : imageNormalizations.grey);
  const statistics = reestimateStatistics ? await downstreamStatistics(options, imageSize, channels) : undefined;
  const imageNormalization: ImageNormalization = statistics?.normalization ?? pretrainingNormalization;
  const statisticsImages = statistics?.images;

  const calibratedPath = path.join(outDir, 'calibrated.safetensors');
  if (options.resume) await checkResumeStatistics(path.join(outDir, 'checkpoints'), imageNormalization);

  // Continues the MR objectives on the downstream images and texts.
  const pipeline = createImagePipeline({ ...options.image, size: imageSize, channels, normalization: imageNormalization });
  const parts = await createMrTraining({ model: modelConfig, config, tokenizer, steps, learningRate, seed, samples, batchSize, pipeline });
  const { pretraining } = parts;
  try {
    loadMrWeights(pretraining, loaded.weights, options.checkpoint);

    // Losses before: the checkpoint as it was, then with the new statistics (same batches, masks and pairings).
    const evaluation = createFixedEvaluation(pretraining, samples, { tokenizer, batchSize, batches: evaluationBatches, seed });
    const evaluationPipeline = (normalization: ImageNormalization) =>
      createImagePipeline({ ...options.image, crop: { kind: 'centre' }, size: imageSize, channels, normalization });
    const measure = async (phase: 'before' | 'renormalized' | 'after', normalization: ImageNormalization): Promise<MrLossValues> => {
      const started = performance.now();
      const losses = await measureMrLosses(pretraining, evaluation, evaluationPipeline(normalization));
      options.onEvent?.({ type: 'evaluation-end', phase, losses, ms: performance.now() - started });
      return losses;
    };
    const lossBefore = await measure('before', pretrainingNormalization);
    const lossRenormalized = reestimateStatistics ? await measure('renormalized', imageNormalization) : undefined;

    const runConfig: CalibrationRunConfig = {
      model: modelConfig,
      mrPretrain: config,
      learningRate,
      batchSize,
      steps,
      seed,
      calibration: { from: path.resolve(options.checkpoint), imageNormalization },
    };
    const result = await parts.run({
      outDir,
      checkpointEvery,
      keepCheckpoints: 2,
      ...(options.resume ? { resume: true } : {}),
      config: runConfig,
      ...(options.signal ? { signal: options.signal } : {}),
      onEvent: (event) => options.onEvent?.(event as CalibrationEvent),
    });

    const lossAfter = await measure('after', imageNormalization);
    const { metricsPath } = result;
    const common = { imageNormalization, lossBefore, ...(lossRenormalized ? { lossRenormalized } : {}), lossAfter, steps: result.step, metricsPath };
    // Aborted: the resumable checkpoint (or, before the first step, the starting one) holds the latest weights.
    if (result.reason === 'aborted') return { checkpoint: result.lastCheckpoint ?? options.checkpoint, reason: 'aborted', ...common };

    const splits: Record<string, number> = {};
    for (const sample of samples) splits[sample.split] = (splits[sample.split] ?? 0) + 1;
    const { calibration, ...storedConfig } = runConfig;
    const metadata: CalibratedCheckpointMetadata = {
      step: result.step,
      config: storedConfig,
      imageNormalization,
      calibration: {
        from: calibration.from,
        steps: result.step,
        samples: samples.length,
        splits,
        allowedSplits: options.allowedSplits ?? defaultAllowedSplits,
        ...(statisticsImages !== undefined ? { statisticsImages } : {}),
        pretrainingNormalization,
        terms: config.terms,
        learningRate,
        batchSize,
        seed,
        lossBefore,
        ...(lossRenormalized ? { lossRenormalized } : {}),
        lossAfter,
      },
    };
    await saveMrCheckpoint(calibratedPath, pretraining, loaded.weights, metadata);
    return { checkpoint: calibratedPath, reason: 'completed', ...common };
  } finally {
    parts.dispose();
  }
}

/** Checks the numeric options; returns the two with defaults. */
function validateOptions(options: CalibrateOptions): { checkpointEvery: number; evaluationBatches: number } {
  const { samples, steps, batchSize } = options;
  const checkpointEvery = options.checkpointEvery ?? 100;
  const evaluationBatches = options.evaluationBatches ?? 4;
  if (!(Number.isInteger(steps) && steps > 0)) throw new InvalidConfigError('steps', steps, 'a positive integer');
  if (!(Number.isInteger(batchSize) && batchSize >= 2)) throw new InvalidConfigError('batchSize', batchSize, 'an integer ≥ 2');
  if (samples.length < batchSize) throw new InvalidConfigError('samples', samples.length, `at least batchSize (${batchSize}) training samples`);
  if (!(Number.isInteger(checkpointEvery) && checkpointEvery > 0)) throw new InvalidConfigError('checkpointEvery', checkpointEvery, 'a positive integer');
  if (!(Number.isInteger(evaluationBatches) && evaluationBatches > 0))
    throw new InvalidConfigError('evaluationBatches', evaluationBatches, 'a positive integer');
  return { checkpointEvery, evaluationBatches };
}

/** The input statistics of the downstream training images (TD-Calib's re-estimation), with an event. */
async function downstreamStatistics(options: CalibrateOptions, size: number, channels: 1 | 3): Promise<{ normalization: ImageNormalization; images: number }> {
  const started = performance.now();
  const statistics = await estimateImageStatistics(options.samples, {
    size,
    channels,
    seed: options.seed,
    allowedSplits: options.allowedSplits ?? defaultAllowedSplits,
    ...(options.statisticsMaxImages !== undefined ? { maxImages: options.statisticsMaxImages } : {}),
    ...(options.image?.cacheDir ? { cacheDir: options.image.cacheDir } : {}),
  });
  const normalization = { mean: statistics.mean, std: statistics.std };
  options.onEvent?.({ type: 'statistics-end', normalization, images: statistics.images, ms: performance.now() - started });
  return { normalization, images: statistics.images };
}

function resolveLearningRate(given: Partial<MrLearningRate> | undefined, pretrainingBase: number | undefined, steps: number): MrLearningRate {
  const base = given?.base ?? (pretrainingBase === undefined ? undefined : pretrainingBase * defaultLearningRateFraction);
  if (base === undefined || !(Number.isFinite(base) && base > 0)) {
    throw new InvalidConfigError('learningRate.base', base, 'a positive number (the checkpoint stores no pre-training learning rate to take a fraction of)');
  }
  return { ...given, base, warmupSteps: given?.warmupSteps ?? Math.round(0.1 * steps) };
}

/** A resumed run must train with the statistics its checkpoints were written with. */
async function checkResumeStatistics(checkpointDir: string, normalization: ImageNormalization): Promise<void> {
  const file = await latestCheckpoint(checkpointDir);
  if (!file) return;
  const header = await readSafetensorsHeader(file);
  const stored = (JSON.parse(header.metadata['umd'] ?? '{}') as { config?: Partial<CalibrationRunConfig> }).config?.calibration?.imageNormalization;
  if (JSON.stringify(stored) !== JSON.stringify(normalization)) {
    throw new CheckpointMismatchError(file, [
      { kind: 'field', name: 'config.calibration.imageNormalization', checkpoint: JSON.stringify(stored), expected: JSON.stringify(normalization) },
    ]);
  }
}
