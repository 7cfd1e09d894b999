import * as tf from '@tensorflow/tfjs-core';
import { stackTerms, type AdamW, type StepTerms } from '@umd/core';

import { finetuneStep, type FinetuneStepOptions, type StepCoordination } from './finetune-step.js';
import type { TaskSampleBatch } from './task-collate.js';
import { attributeTargets, taskTargets } from './task-samples.js';
import type { TaskTuning } from './task-tuning.js';

/**
 * {@link finetuneStep} on a batch as {@link createTaskCollate} makes it (plain typed arrays): uploads the images, derives
 * the targets from the samples, runs the step, frees the images and the single terms.
 *
 * @returns the loss scalar and the stacked terms (the caller owns both), and GM-Coord's trace when on
 */
export function finetuneCollatedStep(
  tuning: TaskTuning,
  optimizer: AdamW,
  batch: TaskSampleBatch,
  options: FinetuneStepOptions = {},
): { loss: tf.Scalar; terms: StepTerms | undefined; coordination?: StepCoordination } {
  const images = tf.tensor4d(batch.images.data, batch.images.shape as [number, number, number, number]);
  try {
    const targets = taskTargets(tuning.task, batch.samples);
    const attributes = tuning.heads.attributes ? attributeTargets(tuning.attributes.classes, batch.samples) : undefined;
    const out = finetuneStep(
      tuning,
      optimizer,
      {
        images,
        tokenIds: batch.inputIds.data,
        attentionMask: batch.attentionMask.data,
        wordIds: batch.wordIds.data,
        ...(targets ? { targets } : {}),
        imageIds: batch.samples.map((sample) => sample.imageId),
        ...(attributes ? { attributes } : {}),
      },
      options,
    );
    return { loss: out.loss, terms: stackTerms(out.terms), ...(out.coordination ? { coordination: out.coordination } : {}) };
  } finally {
    images.dispose();
  }
}
