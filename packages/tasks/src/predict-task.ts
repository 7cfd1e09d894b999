import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError } from '@umd/core';

import { batchTensors, type TaskBatch } from './task-batch.js';
import type { TaskTuning } from './task-tuning.js';

/**
 * Class logits of a batch: the model in evaluation mode (no dropout), the pooled pair through the task head. With an
 * image-only head (`tuning.imageHead`, blend λ > 0) they are the log of the blended probabilities,
 * log((1 − λ)·softmax(fused) + λ·softmax(image)), so their softmax is the blend and their argmax its prediction.
 *
 * @returns logits [B, K] (the caller owns them); the batch is borrowed (its `targets` are ignored)
 * @throws InvalidConfigError for retrieval (use `scoreRetrieval`); ShapeMismatchError for a malformed batch
 */
export function taskLogits(tuning: TaskTuning, batch: TaskBatch): tf.Tensor2D {
  const { model, classify } = tuning;
  if (!classify) throw new InvalidConfigError('task.kind', tuning.task.kind, "'vqa' or 'classification' (score retrieval with scoreRetrieval)");
  const wasTraining = model.training;
  model.eval();
  try {
    return tf.tidy('tasks/task-logits', () => {
      const inputs = batchTensors(batch, 'taskLogits');
      const out = model.forward({ images: inputs.images, tokenIds: inputs.tokenIds, attentionMask: inputs.attentionMask, pooling: tuning.pooling });
      return blendedLogits(tuning, classify(out.fusion.pooled), out.vision);
    });
  } finally {
    model.train(wasTraining);
  }
}

/**
 * `fused` [B, K] as they are, or blended with the image-only head's on `vision` [B, 1 + L, Dv] (see {@link taskLogits}).
 * Call inside a tidy.
 */
export function blendedLogits(tuning: TaskTuning, fused: tf.Tensor2D, vision: tf.Tensor): tf.Tensor2D {
  const head = tuning.heads.imageClassifier;
  const blend = tuning.imageHead?.blend ?? 0;
  if (!head || blend === 0) return fused;
  const image = head.forward(tf.mean(vision, 1));
  if (blend === 1) return image;
  const mixed = tf.add(tf.mul(tf.softmax(fused), 1 - blend), tf.mul(tf.softmax(image), blend));
  return tf.log(tf.maximum(mixed, 1e-30)) as tf.Tensor2D;
}

/**
 * The predicted class of every sample (argmax of {@link taskLogits}): an answer index for VQA, a label index for
 * classification. Reads the result back (a sync point); leaves no tensor behind.
 *
 * @returns [B] class indices
 * @throws InvalidConfigError for retrieval; ShapeMismatchError for a malformed batch
 */
export function predictTask(tuning: TaskTuning, batch: TaskBatch): Int32Array {
  const classes = tf.tidy('tasks/predict-task', () => tf.argMax(taskLogits(tuning, batch), 1));
  const values = Int32Array.from(classes.dataSync());
  classes.dispose();
  return values;
}
