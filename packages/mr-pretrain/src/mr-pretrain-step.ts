import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, ShapeMismatchError, tidyStruct, valueAndGrads, type AdamW } from '@umd/core';

import { teacherMomentumAt } from './ema-teacher.js';
import { featureLoss, normalizeFeatures } from './feature-loss.js';
import { itmLoss, itmPairing } from './itm-head.js';
import { maskTokens } from './mask-tokens.js';
import { mimLoss } from './mim-decoder.js';
import { crossEntropy } from './mlm-head.js';
import type { MrTerm } from './mr-pretrain-config.js';
import type { MrPretraining } from './mr-pretraining.js';
import { patchMaskingTensors, randomPatchMasking } from './random-patch-masking.js';

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

export interface MrPretrainStepResult {
  /** The total L (weighted sum of the enabled terms), as a scalar; the caller owns it. */
  readonly loss: tf.Scalar;
  /**
   * Each enabled term, unweighted, as a scalar; the caller owns them. A term is absent when it is off or when the
   * batch gave it nothing to predict (no word in any sample).
   */
  readonly terms: Partial<Record<MrTerm, tf.Scalar>>;
}

/**
 * One synchronous MR-Pretrain step: draws the masks and the ITM pairing from `pretraining.random` (plain JS), runs
 * the teacher on the unmasked inputs (no gradient), the student on the masked ones, computes every enabled loss,
 * the gradients of `model.parameters()` (the teacher is not among them), applies them with `optimizer`, and moves the
 * teacher by EMA with the momentum of the optimizer's new step count.
 *
 * ITM shares the masked forward pass: the mismatched half of the batch sees another sample's image, and L_MIM and
 * L_FeaMIM reconstruct the image each sample actually sees.
 *
 * For core's `trainLoop`, dispose the terms and return the loss:
 * `trainStep: () => { const { loss, terms } = mrPretrainStep(p, optimizer, batch); tf.dispose(Object.values(terms)); return loss; }`.
 *
 * @returns the total loss and each term; the caller owns every scalar. The batch is borrowed.
 * @throws ShapeMismatchError when the batch does not fit the model
 */
export function mrPretrainStep(pretraining: MrPretraining, optimizer: AdamW, batch: MrPretrainBatch): MrPretrainStepResult {
  const { model, config, heads, teacher, random } = pretraining;
  const { terms: on } = config;
  const { imageSize, patchSize: P, channels, dim: Dv } = model.config.vision;
  const Dt = model.config.text.dim;
  const D = model.config.fusion.dim;
  const [B, H, W, C] = batch.images.shape as [number, number, number, number];
  if (batch.images.rank !== 4 || H !== imageSize || W !== imageSize || C !== channels) {
    throw new ShapeMismatchError('mrPretrainStep(images)', ['B', imageSize, imageSize, channels], batch.images.shape);
  }
  const tokenIds = Int32Array.from(readArray(batch.tokenIds));
  const attention = readArray(batch.attentionMask);
  const wordIds = readArray(batch.wordIds);
  const T = tokenIds.length / B;
  if (!Number.isInteger(T) || attention.length !== B * T || wordIds.length !== B * T) {
    throw new ShapeMismatchError('mrPretrainStep(tokenIds, attentionMask, wordIds)', [B, 'T'], [tokenIds.length, attention.length, wordIds.length]);
  }
  const L = (imageSize / P) ** 2;

  // The plan of this step, in plain JS from the seeded generator.
  const pairing = on.itm ? itmPairing(B, random) : undefined;
  const patches = on.mim || on.feaMim ? randomPatchMasking(B, L, { ratio: config.imageMaskRatio, random }) : undefined;
  const words =
    on.mlm || on.feaMlm
      ? maskTokens(tokenIds, attention, wordIds, { batchSize: B, ratio: config.textMaskRatio, wholeWord: config.wholeWordMasking, vocabSize: model.config.text.vocabSize, ...pretraining.tokens }, random)
      : undefined;
  const textPositions = words && words.positions.length > 0 ? words.positions : undefined;
  if (!(patches || pairing || textPositions)) {
    throw new InvalidConfigError('mrPretrainStep(batch)', 'no word to predict', 'a batch with at least one maskable word when only text terms are on');
  }
  const removed = patches ? flatIndicesOf(patches.mask) : undefined; // [M] b·L + l of the removed patches
  const decoderInput = config.decoder.input;

  return tidyStruct('mr-pretrain/step', () => {
    const images = pairing ? tf.gather(batch.images, tf.tensor1d(pairing.imageSource, 'int32')) : batch.images; // [B, H, W, C]
    const masking = patches ? patchMaskingTensors(patches) : undefined;
    const removedRows = removed ? tf.tensor1d(removed, 'int32') : undefined;
    const tokenRows = textPositions ? tf.tensor1d(textPositions, 'int32') : undefined;
    const attentionMask = tf.tensor2d(Float32Array.from(attention), [B, T]);
    const originalIds = tf.tensor2d(tokenIds, [B, T], 'int32');
    const inputIds = words ? tf.tensor2d(words.inputIds, [B, T], 'int32') : originalIds;
    const itmLabels = pairing ? tf.tensor1d(pairing.labels, 'int32') : undefined;

    // Teacher targets: constants computed before the tape, on the unmasked image and text.
    const teacherPatches =
      teacher && on.feaMim && removedRows
        ? tf.gather(tf.reshape(normalizeFeatures(tf.slice(teacher.model.vision.forward(images), [0, 1, 0], [B, L, Dv])), [B * L, Dv]), removedRows) // [M, Dv]
        : undefined;
    const teacherTokens =
      teacher && on.feaMlm && tokenRows
        ? tf.gather(tf.reshape(normalizeFeatures(teacher.model.text.forward(originalIds, { attentionMask })), [B * T, Dt]), tokenRows) // [N, Dt]
        : undefined;

    const terms: Partial<Record<MrTerm, tf.Scalar>> = {};
    const { value, grads } = valueAndGrads(() => {
      const out = model.forward({
        images,
        ...(masking ? { visibleIndices: masking.visibleIndices } : {}),
        tokenIds: inputIds,
        attentionMask,
        keepFusionLayers: decoderInput.kind === 'layer',
      });
      const weighted: tf.Tensor[] = [];
      const add = (term: MrTerm, loss: tf.Scalar, weight: number): void => {
        terms[term] = tf.keep(loss); // survives the tape's tidy; returned to the caller
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
        if (heads.mlm) add('mlm', crossEntropy(heads.mlm.forward(out.fusion.text, tokenRows), words.targets), config.weights.mlm);
        if (heads.feaMlm && teacherTokens) {
          const fused = tf.gather(tf.reshape(out.fusion.text, [B * T, D]), tokenRows); // [N, D]
          add('feaMlm', featureLoss(heads.feaMlm.forward(fused), teacherTokens, config.featureLoss), config.alpha);
        }
      }
      if (heads.itm && itmLabels) add('itm', itmLoss(heads.itm.forward(out.fusion.pooled), itmLabels), config.weights.itm);
      return tf.addN(weighted) as tf.Scalar;
    }, model.parameters());
    optimizer.applyGradients(grads);
    teacher?.update(teacherMomentumAt(optimizer.step, pretraining.totalSteps, config.teacherMomentum));
    return { loss: value, terms };
  });
}

function readArray(values: ArrayLike<number> | tf.Tensor): ArrayLike<number> {
  return values instanceof tf.Tensor ? values.dataSync() : values;
}

function flatIndicesOf(mask: Float32Array): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i] === 1) out.push(i);
  return Int32Array.from(out);
}
