import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, ShapeMismatchError } from '@umd/core';

import { batchTensors, type TaskBatch } from './task-batch.js';
import type { TaskTuning } from './task-tuning.js';

/** Where the evidence for a class lies in each image of a batch: one value per image patch. */
export interface RelevanceMap {
  /** [B, gh·gw] gradient × input per patch, raster order (row by row from the top left); positive = for the class. */
  readonly values: Float32Array;
  /** Patch rows and columns [gh, gw]: the image's side over the patch size (the stem's cells with a stem). */
  readonly grid: readonly [number, number];
  /** [B] the class each row explains. */
  readonly classes: Int32Array;
}

/**
 * Gradient × input over the image patches: the gradient of the class logit with respect to the patch embedding's
 * inputs (the pixel patch, or the frozen stem's feature cell), times those inputs, summed over each patch. The model
 * runs in evaluation mode (no dropout). It answers "which patches, scaled by what they hold, move this logit", the
 * first-order share of each patch in the logit; it is not attention rollout.
 *
 * @param classes [B] the class to explain per sample (e.g. the top answer); default each sample's most probable class
 * @returns the map; leaves no tensor behind
 * @throws InvalidConfigError for retrieval; ShapeMismatchError for a malformed batch or `classes` of another length
 */
export function relevanceMap(tuning: TaskTuning, batch: TaskBatch, classes?: Int32Array): RelevanceMap {
  const { model, classify, pooling } = tuning;
  if (!classify) throw new InvalidConfigError('task.kind', tuning.task.kind, "'vqa' or 'classification' (relevance maps explain a class)");
  const B = batch.images.shape[0]!;
  if (classes && classes.length !== B) throw new ShapeMismatchError('relevanceMap(classes)', [B], [classes.length]);
  const wasTraining = model.training;
  model.eval();
  try {
    const [values, picked] = tf.tidy('tasks/relevance-map', () => {
      const inputs = batchTensors(batch, 'relevanceMap');
      const tokens = model.vision.patchTokens(inputs.images); // [B, L, Cin]
      const logitsOf = (patchTokens: tf.Tensor): tf.Tensor2D =>
        classify(model.forward({ images: inputs.images, patchTokens, tokenIds: inputs.tokenIds, attentionMask: inputs.attentionMask, pooling }).fusion.pooled);
      const chosen = classes ? tf.tensor1d(classes, 'int32') : tf.cast(tf.argMax(logitsOf(tokens), 1), 'int32'); // [B]
      const K = tuning.numClasses;
      const oneHot = tf.cast(tf.oneHot(chosen, K), 'float32'); // [B, K]
      const gradient = tf.grad((patchTokens: tf.Tensor) => tf.sum(tf.mul(logitsOf(patchTokens), oneHot)))(tokens); // [B, L, Cin]
      return [tf.sum(tf.mul(gradient, tokens), 2), chosen] as const; // [B, L]
    });
    const map = { values: values.dataSync() as Float32Array, classes: Int32Array.from(picked.dataSync()) };
    values.dispose();
    picked.dispose();
    const [, H, W] = batch.images.shape as [number, number, number, number];
    const P = model.config.vision.patchSize;
    return { ...map, grid: [H / P, W / P] };
  } finally {
    model.train(wasTraining);
  }
}
