import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, SeededRandom } from '@umd/core';
import type { UmdModel } from '@umd/encoders';
import {
  createMrPretraining,
  drawMrPretrainPlan,
  mrPretrainLosses,
  type MaskTokenIds,
  type MrPretrainConfig,
  type MrPretrainHeads,
  type MrTerm,
} from '@umd/mr-pretrain';

import { loadMrWeights, mrCheckpointInfo, readCheckpointSync, withTerms } from './mr-checkpoint.js';

/**
 * The task batch the regularizer reads (structurally @umd/tasks' `TaskBatch`; td-calib does not depend on @umd/tasks).
 * Borrowed: nothing in it is disposed.
 */
export interface ReconstructionBatch {
  /** [B, H, W, C] float32 normalised images (NHWC) at the model's `imageSize`. */
  readonly images: tf.Tensor;
  /** [B, T] int32 token ids (typed array or tensor; a tensor is read back: a sync point). */
  readonly tokenIds: ArrayLike<number> | tf.Tensor;
  /** [B, T] 1 = real token, 0 = padding. */
  readonly attentionMask: ArrayLike<number> | tf.Tensor;
  /** [B, T] word index per token, −1 for special tokens (whole-word masking). */
  readonly wordIds: ArrayLike<number> | tf.Tensor;
}

/** An extra loss added inside a task-tuning step's gradient tape (structurally @umd/tasks' `AuxiliaryLoss`). */
export interface AuxiliaryLoss {
  readonly name: string;
  /**
   * @param step the 1-based step being taken (as @umd/tasks' `finetuneStep` passes it)
   * @returns a scalar to add to the task loss (the caller owns it), or undefined for nothing this step
   */
  compute(batch: ReconstructionBatch, step: number): tf.Scalar | undefined;
}

/** How the regularizer's weight decays from `start` to 0. */
export type ReconstructionWeightSchedule = 'linear' | 'cosine';

/** Options of {@link createReconstructionRegularizer}. */
export interface ReconstructionRegularizerOptions {
  /** The task model (its encoders hold the calibrated weights). The MR heads are registered in its `heads`. */
  readonly model: UmdModel;
  /**
   * A calibrated (or MR pre-training) checkpoint: the MR heads' weights (`heads.*`) and the EMA teacher
   * (`extra/teacher/*`) are loaded from it, and its `config.mrPretrain` is the default `mrConfig`. Without it the
   * heads start from random weights (and the teacher, if any, from the model's current encoders).
   */
  readonly checkpoint?: string;
  /** The MR objectives. Default: the checkpoint's `config.mrPretrain`; required without a checkpoint. */
  readonly mrConfig?: MrPretrainConfig;
  /** Switch terms off on top of `mrConfig` (e.g. `{ itm: false, feaMim: false, feaMlm: false }`: no teacher, cheaper). */
  readonly terms?: Partial<Record<MrTerm, boolean>>;
  /** The weight of the first step (≥ 0). */
  readonly start: number;
  /** Steps with a non-zero weight (a positive integer): after step `decaySteps`, `compute` returns undefined. */
  readonly decaySteps: number;
  /** Default `'linear'`. */
  readonly schedule?: ReconstructionWeightSchedule;
  /** Seeds the heads' initial weights (without a checkpoint) and each step's masks (drawn from `(seed, step)`). */
  readonly seed: number;
  /** The tokenizer's `[MASK]` and special ids. */
  readonly tokens: MaskTokenIds;
}

/** The reconstruction regularizer: an {@link AuxiliaryLoss} that also owns the EMA teacher of the feature terms. */
export interface ReconstructionRegularizer extends AuxiliaryLoss {
  readonly name: 'reconstruction';
  /** The MR heads registered in `model.heads` (they train with the task: create the optimizer afterwards). */
  readonly heads: MrPretrainHeads;
  /** The enabled objectives. */
  readonly config: MrPretrainConfig;
  /** The weight at the 1-based `step`: `start` at step 1, decaying to 0 at step `decaySteps + 1`, 0 after. */
  weightAt(step: number): number;
  /** Frees the teacher (the heads belong to the model and are freed with it). */
  dispose(): void;
}

/**
 * The weight of the reconstruction loss at the 1-based `step` (the step being taken), with k = step − 1: `linear`
 * start·(1 − k/decaySteps), `cosine` start·(1 + cos(π·k/decaySteps))/2; `start` at step 1 (and before), 0 from step
 * `decaySteps + 1` on. Pure.
 */
export function reconstructionWeightAt(step: number, start: number, decaySteps: number, schedule: ReconstructionWeightSchedule = 'linear'): number {
  const progress = Math.min(Math.max(step - 1, 0), decaySteps) / decaySteps; // in [0, 1]
  if (progress >= 1) return 0;
  return schedule === 'linear' ? start * (1 - progress) : (start * (1 + Math.cos(Math.PI * progress))) / 2;
}

/**
 * The decaying reconstruction loss kept during task tuning (TD-Calib's last part), for `runTaskTuning({ auxiliary })`
 * of @umd/tasks. Registers the MR heads in `model.heads` (create the task optimizer after this, so they train too),
 * loads their weights and the EMA teacher from `checkpoint`, and returns an object whose `compute(batch, step)` runs
 * `mrPretrainLosses` on the task batch INSIDE the tuning step's gradient tape and returns weight(step) · L. After
 * step `decaySteps` (1-based, as @umd/tasks counts), it returns undefined without any forward pass.
 *
 * The masks and the ITM pairing of a step are drawn from a generator seeded by `(seed, step)`, so a resumed tuning
 * run draws the same ones. The teacher stays fixed during tuning (its targets are constants). A batch of one sample
 * with L_ITM on has no other image to pair with and contributes nothing (undefined).
 *
 * @throws InvalidConfigError for an invalid option, no `mrConfig` without a checkpoint, or MR heads already registered
 * @throws CheckpointFormatError / CheckpointMismatchError when the checkpoint lacks the config, a head or the teacher
 */
export function createReconstructionRegularizer(options: ReconstructionRegularizerOptions): ReconstructionRegularizer {
  const { model, start, decaySteps, seed, tokens } = options;
  const schedule = options.schedule ?? 'linear';
  if (!(Number.isFinite(start) && start >= 0)) throw new InvalidConfigError('start', start, 'a finite weight ≥ 0');
  if (!(Number.isInteger(decaySteps) && decaySteps > 0)) throw new InvalidConfigError('decaySteps', decaySteps, 'a positive integer');
  if (schedule !== 'linear' && schedule !== 'cosine') throw new InvalidConfigError('schedule', schedule, "'linear' or 'cosine'");

  const loaded = options.checkpoint === undefined ? undefined : readCheckpointSync(options.checkpoint);
  const stored = loaded && options.checkpoint !== undefined ? mrCheckpointInfo(loaded.metadata, options.checkpoint).mrPretrain : undefined;
  const base = options.mrConfig ?? stored;
  if (!base) throw new InvalidConfigError('mrConfig', undefined, 'an MR config, or a checkpoint that stores one (config.mrPretrain)');
  const config = withTerms(base, options.terms);

  const before = new Set(model.heads.names());
  const pretraining = createMrPretraining({ model, config, random: new SeededRandom(`td-calib/regularizer:${seed}`), totalSteps: decaySteps, tokens });
  if (loaded && options.checkpoint !== undefined) {
    const added = model.heads.names().filter((name) => !before.has(name));
    try {
      loadMrWeights(pretraining, loaded.weights, options.checkpoint, (name) => added.some((head) => name.startsWith(`heads.${head}.`)));
    } catch (error) {
      pretraining.dispose();
      throw error;
    }
  }
  const weightAt = (step: number): number => reconstructionWeightAt(step, start, decaySteps, schedule);

  return {
    name: 'reconstruction',
    heads: pretraining.heads,
    config,
    weightAt,
    compute(batch: ReconstructionBatch, step: number): tf.Scalar | undefined {
      const weight = weightAt(step);
      if (weight === 0) return undefined;
      if (config.terms.itm && batch.images.shape[0]! < 2) return undefined;
      const mrBatch = { ...batch, tokenIds: batch.tokenIds instanceof tf.Tensor ? batch.tokenIds : Int32Array.from(batch.tokenIds) };
      const plan = drawMrPretrainPlan(pretraining, mrBatch, new SeededRandom(`td-calib/regularizer:${seed}:${step}`));
      return tf.tidy('td-calib/reconstruction-regularizer', () => tf.mul(mrPretrainLosses(pretraining, mrBatch, plan).total, weight) as tf.Scalar);
    },
    dispose: () => pretraining.dispose(),
  };
}
