import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, ShapeMismatchError, softmaxCrossEntropy, tidyStruct, valueAndGrads, type AdamW, type SeededRandom } from '@umd/core';

import { teacherMomentumAt } from './ema-teacher.js';
import { featureLoss, normalizeFeatures } from './feature-loss.js';
import { itmPairing, type ItmPairing } from './itm-head.js';
import { maskTokens, type TokenMasking } from './mask-tokens.js';
import { mimLoss } from './mim-decoder.js';
import type { MrTerm } from './mr-pretrain-config.js';
import type { MrPretraining } from './mr-pretraining.js';
import { patchMaskingTensors, randomPatchMasking, type PatchMasking } from '@umd/encoders';

/** One pre-training batch. Nothing in it is disposed by the step. */
export interface MrPretrainBatch {
  /** [B, H, W, C] float32 normalised images (NHWC) at the model's `imageSize`, C = `vision.channels`. */
  readonly images: tf.Tensor;
  /** [B, T] int32 token ids: row-major typed array, or a tensor (read back once: a sync point). */
  readonly tokenIds: Int32Array | tf.Tensor;
  /** [B, T] 1 = real token, 0 = padding. */
  readonly attentionMask: ArrayLike<number> | tf.Tensor;
  /** [B, T] word index of each token in its sample, −1 for special tokens (whole-word masking). */
  readonly wordIds: ArrayLike<number> | tf.Tensor;
}

/**
 * The random part of one step, in plain JS: which samples see another sample's image, which patches are removed and
 * which words are predicted. Each entry is present exactly when a term that needs it is on.
 */
export interface MrPretrainPlan {
  /** L_ITM. */
  readonly pairing?: ItmPairing;
  /** L_MIM and L_FeaMIM. */
  readonly patches?: PatchMasking;
  /** L_MLM and L_FeaMLM. */
  readonly words?: TokenMasking;
}

/** The weighted total and the unweighted terms of one batch. */
export interface MrPretrainLosses {
  /** L, the weighted sum of the enabled terms. */
  readonly total: tf.Scalar;
  /**
   * Each enabled term, unweighted. A term is absent when it is off or when the batch gave it nothing to predict (no
   * word in any sample).
   */
  readonly terms: Partial<Record<MrTerm, tf.Scalar>>;
}

export interface MrPretrainStepResult {
  /** The total L (weighted sum of the enabled terms), as a scalar; the caller owns it. */
  readonly loss: tf.Scalar;
  /**
   * Each enabled term, unweighted, as a scalar; the caller owns them. A term is absent when it is off or when the
   * batch gave it nothing to predict (no word in any sample).
   */
  readonly terms: Partial<Record<MrTerm, tf.Scalar>>;
}

/** The batch's texts as plain arrays, checked against the model. */
interface BatchArrays {
  readonly B: number;
  readonly T: number;
  readonly tokenIds: Int32Array;
  readonly attention: ArrayLike<number>;
  readonly wordIds: ArrayLike<number>;
}

/**
 * Draws the plan of one step from `random` (default `pretraining.random`), in a fixed order: the ITM pairing, the
 * patch masking, the token masking; a term that is off draws nothing. Pure JS (tensors in the batch are read back:
 * a sync point). Draw from a generator of your own for a fixed evaluation plan that leaves the run's draws alone.
 *
 * @throws ShapeMismatchError when the batch does not fit the model
 */
export function drawMrPretrainPlan(pretraining: MrPretraining, batch: MrPretrainBatch, random: SeededRandom = pretraining.random): MrPretrainPlan {
  return drawPlan(pretraining, readBatch(pretraining, batch, 'drawMrPretrainPlan'), random);
}

/**
 * The MR-Pretrain losses of one batch, for use INSIDE a caller's gradient tape (`valueAndGrads`, or a task-tuning step
 * that adds a reconstruction term): runs the teacher on the unmasked inputs, the student on the masked ones, and
 * computes every enabled term and their weighted total. Updates nothing (no optimizer, no teacher EMA).
 *
 * Without `plan`, the masks and the ITM pairing are drawn from `pretraining.random` (as {@link drawMrPretrainPlan}
 * does). ITM shares the masked forward pass: the mismatched half of the batch sees another sample's image, and L_MIM
 * and L_FeaMIM reconstruct the image each sample actually sees.
 *
 * The teacher's targets are constants: its weights are not among `model.parameters()`, so no gradient reaches them
 * (the tape records the teacher's forward pass, which costs memory until the tape ends, but no backward work).
 *
 * @returns the total and each term; the caller owns them (inside a tape: the tape's scope frees them unless kept).
 *   The batch and the plan are borrowed.
 * @throws ShapeMismatchError when the batch or the plan does not fit the model
 * @throws InvalidConfigError when only text terms are on and no sample has a word to predict
 */
export function mrPretrainLosses(pretraining: MrPretraining, batch: MrPretrainBatch, plan?: MrPretrainPlan): MrPretrainLosses {
  const { model, config, heads, teacher } = pretraining;
  const { terms: on } = config;
  const { imageSize, patchSize: P, dim: Dv } = model.config.vision;
  const Dt = model.config.text.dim;
  const D = model.config.fusion.dim;
  const arrays = readBatch(pretraining, batch, 'mrPretrainLosses');
  const { B, T } = arrays;
  const L = (imageSize / P) ** 2;
  const { pairing, patches, words } = plan ?? drawPlan(pretraining, arrays, pretraining.random);
  checkPlan({ pairing, patches, words }, pretraining, B, T);
  const textPositions = words && words.positions.length > 0 ? words.positions : undefined;
  if (!(patches || pairing || textPositions)) {
    throw new InvalidConfigError('mrPretrainStep(batch)', 'no word to predict', 'a batch with at least one maskable word when only text terms are on');
  }
  const removed = patches ? flatIndicesOf(patches.mask) : undefined; // [M] b·L + l of the removed patches
  const decoderInput = config.decoder.input;

  return tidyStruct('mr-pretrain/losses', () => {
    const images = pairing ? tf.gather(batch.images, tf.tensor1d(pairing.imageSource, 'int32')) : batch.images; // [B, H, W, C]
    const masking = patches ? patchMaskingTensors(patches) : undefined;
    const removedRows = removed ? tf.tensor1d(removed, 'int32') : undefined;
    const tokenRows = textPositions ? tf.tensor1d(textPositions, 'int32') : undefined;
    const attentionMask = tf.tensor2d(Float32Array.from(arrays.attention), [B, T]);
    const originalIds = tf.tensor2d(arrays.tokenIds, [B, T], 'int32');
    const inputIds = words ? tf.tensor2d(words.inputIds, [B, T], 'int32') : originalIds;
    const itmLabels = pairing ? tf.tensor1d(pairing.labels, 'int32') : undefined;

    // Teacher targets: constants (the teacher's weights are not differentiated), on the unmasked image and text.
    const teacherPatches =
      teacher && on.feaMim && removedRows
        ? tf.gather(tf.reshape(normalizeFeatures(tf.slice(teacher.model.vision.forward(images), [0, 1, 0], [B, L, Dv])), [B * L, Dv]), removedRows) // [M, Dv]
        : undefined;
    const teacherTokens =
      teacher && on.feaMlm && tokenRows
        ? tf.gather(tf.reshape(normalizeFeatures(teacher.model.text.forward(originalIds, { attentionMask })), [B * T, Dt]), tokenRows) // [N, Dt]
        : undefined;

    // The student, on the masked inputs.
    const out = model.forward({
      images,
      ...(masking ? { visibleIndices: masking.visibleIndices } : {}),
      tokenIds: inputIds,
      attentionMask,
      keepFusionLayers: decoderInput.kind === 'layer',
    });
    const terms: Partial<Record<MrTerm, tf.Scalar>> = {};
    const weighted: tf.Tensor[] = [];
    const add = (term: MrTerm, loss: tf.Scalar, weight: number): void => {
      terms[term] = loss;
      weighted.push(tf.mul(loss, weight));
    };
    if (heads.mimDecoder && masking && removedRows) {
      const stream = decoderInput.kind === 'layer' ? out.fusion.layers[decoderInput.index]!.image : out.fusion.image; // [B, 1 + Lv, D]
      const decoded = heads.mimDecoder.forward(stream, masking.restoreIndices);
      if (on.mim && decoded.pred) add('mim', mimLoss(decoded.pred, images, masking.mask, P, config.normPixLoss), config.weights.mim);
      if (heads.feaMim && teacherPatches) {
        const hidden = tf.gather(tf.reshape(decoded.hidden, [B * L, config.decoder.dim]), removedRows); // [M, D_dec]
        add('feaMim', featureLoss(heads.feaMim.forward(hidden), teacherPatches, config.featureLoss), config.alpha);
      }
    }
    if (words && tokenRows) {
      if (heads.mlm) add('mlm', softmaxCrossEntropy(heads.mlm.forward(out.fusion.text, tokenRows), { classes: words.targets }), config.weights.mlm);
      if (heads.feaMlm && teacherTokens) {
        const fused = tf.gather(tf.reshape(out.fusion.text, [B * T, D]), tokenRows); // [N, D]
        add('feaMlm', featureLoss(heads.feaMlm.forward(fused), teacherTokens, config.featureLoss), config.alpha);
      }
    }
    if (heads.itm && itmLabels) add('itm', softmaxCrossEntropy(heads.itm.forward(out.fusion.pooled), { classes: itmLabels }), config.weights.itm);
    return { total: tf.addN(weighted) as tf.Scalar, terms };
  });
}

/**
 * One synchronous MR-Pretrain step: {@link mrPretrainLosses} inside `valueAndGrads` over `model.parameters()` (the
 * teacher is not among them), the gradients applied with `optimizer`, then the teacher moved by EMA with the momentum
 * of the optimizer's new step count. Masks and the ITM pairing come from `pretraining.random`.
 *
 * For core's `trainLoop`, dispose the terms and return the loss:
 * `trainStep: () => { const { loss, terms } = mrPretrainStep(p, optimizer, batch); tf.dispose(Object.values(terms)); return loss; }`.
 *
 * @returns the total loss and each term; the caller owns every scalar. The batch is borrowed.
 * @throws ShapeMismatchError when the batch does not fit the model
 */
export function mrPretrainStep(pretraining: MrPretraining, optimizer: AdamW, batch: MrPretrainBatch): MrPretrainStepResult {
  const { model, config, teacher } = pretraining;
  return tidyStruct('mr-pretrain/step', () => {
    let terms: Partial<Record<MrTerm, tf.Scalar>> = {};
    const { value, grads } = valueAndGrads(() => {
      const losses = mrPretrainLosses(pretraining, batch);
      for (const term of Object.values(losses.terms)) tf.keep(term); // survive the tape's scope; returned to the caller
      terms = losses.terms;
      return losses.total;
    }, model.parameters());
    optimizer.applyGradients(grads);
    teacher?.update(teacherMomentumAt(optimizer.step, pretraining.totalSteps, config.teacherMomentum));
    return { loss: value, terms };
  });
}

/** Reads the batch's texts into plain arrays and checks every shape against the model. */
function readBatch(pretraining: MrPretraining, batch: MrPretrainBatch, caller: string): BatchArrays {
  const { imageSize, channels } = pretraining.model.config.vision;
  const [B, H, W, C] = batch.images.shape as [number, number, number, number];
  if (batch.images.rank !== 4 || H !== imageSize || W !== imageSize || C !== channels) {
    throw new ShapeMismatchError(`${caller}(images)`, ['B', imageSize, imageSize, channels], batch.images.shape);
  }
  const tokenIds = Int32Array.from(readArray(batch.tokenIds));
  const attention = readArray(batch.attentionMask);
  const wordIds = readArray(batch.wordIds);
  const T = tokenIds.length / B;
  if (!Number.isInteger(T) || attention.length !== B * T || wordIds.length !== B * T) {
    throw new ShapeMismatchError(`${caller}(tokenIds, attentionMask, wordIds)`, [B, 'T'], [tokenIds.length, attention.length, wordIds.length]);
  }
  return { B, T, tokenIds, attention, wordIds };
}

/** The draws of one step, in the order every run depends on: pairing, patches, words. */
function drawPlan(pretraining: MrPretraining, arrays: BatchArrays, random: SeededRandom): MrPretrainPlan {
  const { model, config, tokens } = pretraining;
  const { terms: on } = config;
  const { B, tokenIds, attention, wordIds } = arrays;
  const L = (model.config.vision.imageSize / model.config.vision.patchSize) ** 2;
  const pairing = on.itm ? itmPairing(B, random) : undefined;
  const patches = on.mim || on.feaMim ? randomPatchMasking(B, L, { ratio: config.imageMaskRatio, random }) : undefined;
  const words =
    on.mlm || on.feaMlm
      ? maskTokens(
          tokenIds,
          attention,
          wordIds,
          { batchSize: B, ratio: config.textMaskRatio, wholeWord: config.wholeWordMasking, vocabSize: model.config.text.vocabSize, ...tokens },
          random,
        )
      : undefined;
  return { ...(pairing ? { pairing } : {}), ...(patches ? { patches } : {}), ...(words ? { words } : {}) };
}

/** A plan given by the caller must cover the enabled terms and fit the batch: B samples of T tokens and L patches. */
function checkPlan(plan: MrPretrainPlan, pretraining: MrPretraining, B: number, T: number): void {
  const { pairing, patches, words } = plan;
  const { terms: on } = pretraining.config;
  const { imageSize, patchSize } = pretraining.model.config.vision;
  const L = (imageSize / patchSize) ** 2;
  const missing = [
    ...(on.itm && !pairing ? ['pairing'] : []),
    ...((on.mim || on.feaMim) && !patches ? ['patches'] : []),
    ...((on.mlm || on.feaMlm) && !words ? ['words'] : []),
  ];
  if (missing.length > 0)
    throw new InvalidConfigError('mrPretrainLosses(plan)', missing.join(', ') + ' missing', 'a plan drawn for the enabled terms (drawMrPretrainPlan)');
  if (pairing && (pairing.imageSource.length !== B || pairing.labels.length !== B)) {
    throw new ShapeMismatchError('mrPretrainLosses(plan.pairing)', [B], [pairing.imageSource.length]);
  }
  if (patches && (patches.batchSize !== B || patches.patchCount !== L)) {
    throw new ShapeMismatchError('mrPretrainLosses(plan.patches)', [B, L], [patches.batchSize, patches.patchCount]);
  }
  if (words && words.inputIds.length !== B * T) throw new ShapeMismatchError('mrPretrainLosses(plan.words.inputIds)', [B, T], [words.inputIds.length]);
}

function readArray(values: ArrayLike<number> | tf.Tensor): ArrayLike<number> {
  return values instanceof tf.Tensor ? values.dataSync() : values;
}

function flatIndicesOf(mask: Float32Array): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i] === 1) out.push(i);
  return Int32Array.from(out);
}
