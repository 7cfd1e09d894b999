import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from '@umd/core';

import type { FeatureLossConfig } from './mr-pretrain-config.js';

/**
 * Layer normalisation without affine parameters over the last dimension: the teacher's targets for L_FeaMIM and
 * L_FeaMLM. x [..., D] -> [..., D] (caller owns).
 */
export function normalizeFeatures(x: tf.Tensor, epsilon = 1e-6): tf.Tensor {
  return tf.tidy('mr-pretrain/normalize-features', () => {
    const centered = tf.sub(x, tf.mean(x, -1, true));
    return tf.mul(centered, tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), epsilon)));
  });
}

/**
 * L_FeaMIM / L_FeaMLM: the student's predictions against the teacher's features at the same M positions.
 * - smooth-L1 (β): per element 0.5·d²/β where |d| < β, else |d| − 0.5·β; mean over all M·D elements.
 * - cosine: mean over positions of 1 − cos(pred, target).
 *
 * @param pred [M, D] student predictions
 * @param target [M, D] teacher features (constant)
 * @returns a scalar the caller owns
 */
export function featureLoss(pred: tf.Tensor, target: tf.Tensor, config: FeatureLossConfig): tf.Scalar {
  if (!tf.util.arraysEqual(pred.shape, target.shape)) throw new ShapeMismatchError('featureLoss(target)', pred.shape, target.shape);
  return tf.tidy('mr-pretrain/feature-loss', () => {
    if (config.kind === 'cosine') {
      const unit = (x: tf.Tensor): tf.Tensor => tf.mul(x, tf.rsqrt(tf.add(tf.sum(tf.square(x), -1, true), 1e-12)));
      return tf.mean(tf.sub(1, tf.sum(tf.mul(unit(pred), unit(target)), -1))) as tf.Scalar;
    }
    // |d| split at β without tf.where: q = min(|d|, β) gives 0.5·q²/β + (|d| − q).
    const distance = tf.abs(tf.sub(pred, target));
    const clipped = tf.minimum(distance, config.beta);
    return tf.mean(tf.add(tf.div(tf.mul(tf.square(clipped), 0.5), config.beta), tf.sub(distance, clipped))) as tf.Scalar;
  });
}
