import * as tf from '@tensorflow/tfjs-core';
import { loadImageBatch, type ImageSource } from '@umd/data';

import { taskLogits } from '../predict-task.js';
import { taskClasses } from '../task-spec.js';
import { ModelBundleError } from './model-bundle-error.js';
import type { ModelBundle } from './load-model-bundle.js';

/** One input of {@link predictWithBundle}. */
export interface BundleInput {
  readonly image: ImageSource;
  /** The question (VQA) or the text paired with the image (classification; may be empty). */
  readonly text: string;
}

/** A class with its softmax probability. */
export interface RankedClass {
  /** The answer (VQA) or label (classification). */
  readonly name: string;
  readonly probability: number;
}

/** The model's answer to one input: the `topK` most probable classes, most probable first. */
export interface BundlePrediction {
  readonly kind: 'vqa' | 'classification';
  readonly ranked: readonly RankedClass[];
  /** Milliseconds for this input's share of the batch (image decode, tokenise, forward). */
  readonly ms: number;
}

/**
 * Answers a batch of image + text inputs with a loaded bundle: images through the bundle's preprocessing, texts
 * through its tokenizer, the model in evaluation mode, softmax over the classes.
 *
 * @param options.topK classes per input, most probable first (default 5; all with `Infinity`)
 * @throws ModelBundleError (problem `input`) for a text longer than the model's positions; ImageDecodeError naming an
 *   image that does not decode
 */
export async function predictWithBundle(bundle: ModelBundle, inputs: readonly BundleInput[], options: { readonly topK?: number } = {}): Promise<BundlePrediction[]> {
  const started = performance.now();
  const { tuning, tokenizer, pipeline, config } = bundle;
  const kind = config.task.kind as 'vqa' | 'classification';
  const maxLength = config.maxTextLength;
  for (const input of inputs) {
    const length = tokenizer.encode(input.text, { maxLength: Number.MAX_SAFE_INTEGER }).ids.length;
    if (length > maxLength) {
      throw new ModelBundleError(bundle.dir, 'input', `the ${kind === 'vqa' ? 'question' : 'text'} is ${length} tokens with [CLS] and [SEP]; this model reads at most ${maxLength}: shorten it`);
    }
  }
  const images = await loadImageBatch(pipeline, inputs.map((input) => input.image));
  const { inputIds, attentionMask, wordIds } = tokenizer.encodeBatch(inputs.map((input) => input.text), { maxLength });
  const imageTensor = tf.tensor4d(images.data, images.shape as [number, number, number, number]);
  let probabilities: Float32Array;
  try {
    const softmax = tf.tidy(() => tf.softmax(taskLogits(tuning, { images: imageTensor, tokenIds: inputIds.data, attentionMask: attentionMask.data, wordIds: wordIds.data })));
    probabilities = (await softmax.data()) as Float32Array;
    softmax.dispose();
  } finally {
    imageTensor.dispose();
  }
  const classes = taskClasses(config.task);
  const topK = Math.min(options.topK ?? 5, classes.length);
  const ms = (performance.now() - started) / Math.max(1, inputs.length);
  return inputs.map((_, row) => {
    const scores = probabilities.subarray(row * classes.length, (row + 1) * classes.length);
    const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
    return { kind, ranked: order.slice(0, topK).map((index) => ({ name: classes[index]!, probability: scores[index]! })), ms };
  });
}
