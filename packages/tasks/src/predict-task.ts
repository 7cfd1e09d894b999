import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError } from '@umd/core';

import { batchTensors, type TaskBatch } from './task-batch.js';
import type { TaskTuning } from './task-tuning.js';

/**
 * Class logits of a batch: the model in evaluation mode (no dropout), the pooled pair through the task head.
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
      return classify(out.fusion.pooled);
    });
  } finally {
    model.train(wasTraining);
  }
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
