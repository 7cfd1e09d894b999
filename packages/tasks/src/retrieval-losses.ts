import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, softmaxCrossEntropy } from '@umd/core';

import { contrastiveLoss } from './contrastive-loss.js';
import { poolUnimodal } from './pool-unimodal.js';
import { positivePairs, sampleNegatives } from './retrieval-negatives.js';
import type { BatchTensors, TaskBatch } from './task-batch.js';
import type { TaskTuning } from './task-tuning.js';

/** The two retrieval terms, unweighted. */
export interface RetrievalLosses {
  /** Cross-entropy of the fused ITM head on matched pairs and one in-batch negative per image and per text. */
  readonly itm: tf.Scalar;
  /** Symmetric InfoNCE on the projected unimodal CLS features (the first stage). */
  readonly contrastive: tf.Scalar;
  /**
   * With attribute heads: the mean over fields of (cross-entropy of the image embedding's prediction + that of the
   * caption embedding's) / 2, samples without the attribute not counted.
   */
  readonly attributes?: tf.Scalar;
}

/**
 * The retrieval losses of one batch: encodes both modalities once, trains the first stage with InfoNCE, draws one
 * negative caption per image and one negative image per caption (hard negatives by first-stage similarity, from
 * `tuning.random`), and runs the fusion + ITM head on the B matched and up to 2B mismatched pairs. Reads the
 * similarity matrix back to draw the negatives (one sync point). Meant to run inside a gradient tape; the caller owns
 * the scalars.
 *
 * @param tokenIds [B·T] the batch's token ids as a typed array
 * @throws InvalidConfigError when the task is not retrieval or B < 2, or the tuning has attribute heads and the batch
 *   no `attributes` targets
 */
export function retrievalLosses(tuning: TaskTuning, inputs: BatchTensors, batch: TaskBatch, tokenIds: Int32Array): RetrievalLosses {
  const { model, heads, retrieval } = tuning;
  if (!heads.itm || !heads.retrieval) throw new InvalidConfigError('task.kind', tuning.task.kind, "'retrieval' (no ITM head registered)");
  const { batchSize: B, length: T } = inputs;
  if (B < 2) throw new InvalidConfigError('batch size', B, 'at least 2 for retrieval (in-batch negatives)');
  const vision = model.vision.forward(inputs.images); // [B, 1 + L, Dv]
  const text = model.text.forward(inputs.tokenIds, { attentionMask: inputs.attentionMask }); // [B, T, Dt]
  const embeddings = heads.retrieval.forward(
    poolUnimodal(vision as tf.Tensor3D, tuning.pooling),
    poolUnimodal(text as tf.Tensor3D, tuning.pooling, inputs.attentionMask),
  );
  const positives = positivePairs(B, tokenIds, batch.imageIds);
  const contrastive = contrastiveLoss(embeddings.image, embeddings.text, positives, retrieval.temperature);
  const attributes = heads.attributes?.loss([embeddings.image, embeddings.text], batch.attributes);

  const similarity = tf.matMul(embeddings.image, embeddings.text, false, true).dataSync(); // [B, B], a constant here
  const negatives = sampleNegatives(similarity, positives, B, tuning.random, { hard: retrieval.hardNegatives, temperature: retrieval.temperature });
  // Pairs fed to the fused head: B matched, then each image with its negative caption, then each caption with its
  // negative image (rows without a negative are left out).
  const imageRows: number[] = [];
  const textRows: number[] = [];
  const labels: number[] = [];
  const pair = (image: number, text: number, label: 0 | 1): void => {
    imageRows.push(image);
    textRows.push(text);
    labels.push(label);
  };
  for (let i = 0; i < B; i++) pair(i, i, 1);
  negatives.textForImage.forEach((j, i) => j >= 0 && pair(i, j, 0));
  negatives.imageForText.forEach((i, j) => i >= 0 && pair(i, j, 0));
  const imageIndex = tf.tensor1d(imageRows, 'int32');
  const textIndex = tf.tensor1d(textRows, 'int32');
  const fused = model.fusion.forward(tf.gather(text, textIndex), tf.gather(vision, imageIndex), {
    textMask: tf.reshape(tf.gather(inputs.attentionMask, textIndex), [textRows.length, T]),
    pooling: tuning.pooling,
  });
  const itm = softmaxCrossEntropy(heads.itm.forward(fused.pooled), { classes: labels }); // [P, 2] against match labels
  return { itm, contrastive, ...(attributes ? { attributes } : {}) };
}
