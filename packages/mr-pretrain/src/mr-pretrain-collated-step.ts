import * as tf from '@tensorflow/tfjs-core';
import { stackTerms, type AdamW } from '@umd/core';
import type { ImageTextBatch } from '@umd/data';

import type { MrTerm } from './mr-pretrain-config.js';
import { mrPretrainStep } from './mr-pretrain-step.js';
import type { MrPretraining } from './mr-pretraining.js';

/** The enabled terms of one step, stacked into one tensor so that a run reads them back once, after the loss. */
export interface StackedTerms {
  readonly names: MrTerm[];
  /** [names.length] the terms' values, in `names` order; the caller disposes it. */
  readonly values: tf.Tensor1D;
}

/**
 * {@link mrPretrainStep} on a batch as `@umd/data`'s image-text collate makes it (plain typed arrays): uploads the
 * images, runs the step, frees the images and the single terms, and returns the loss with the terms stacked.
 *
 * @returns the loss scalar and the stacked terms (undefined when no term was computed); the caller owns both
 */
export function mrPretrainCollatedStep(
  pretraining: MrPretraining,
  optimizer: AdamW,
  batch: ImageTextBatch<unknown>,
): { loss: tf.Scalar; terms: StackedTerms | undefined } {
  const images = tf.tensor4d(batch.images.data, batch.images.shape as [number, number, number, number]);
  try {
    const { loss, terms } = mrPretrainStep(pretraining, optimizer, {
      images,
      tokenIds: batch.inputIds.data,
      attentionMask: batch.attentionMask.data,
      wordIds: batch.wordIds.data,
    });
    return { loss, terms: stackTerms(terms) };
  } finally {
    images.dispose();
  }
}
