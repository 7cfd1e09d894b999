import * as tf from '@tensorflow/tfjs-core';

import { offeredAnswerClasses } from '../answer-choices.js';
import { taskLogits } from '../predict-task.js';
import { relevanceMap, type RelevanceMap } from '../relevance-map.js';
import { taskClasses } from '../task-spec.js';
import { ModelBundleError } from './model-bundle-error.js';
import type { OpenedModelBundle } from './open-model-bundle.js';

/** A class with its softmax probability. */
export interface RankedClass {
  /** The answer (VQA) or label (classification). */
  readonly name: string;
  readonly probability: number;
}

/** Images prepared as the bundle's `config.image` says (resized, cropped, normalised), stacked. */
export interface BundleImageBatch {
  /** [B, S, S, C] float32, NHWC row-major. */
  readonly data: Float32Array;
  readonly shape: readonly [number, number, number, number];
}

/** Options of {@link answerWithBundle}. */
export interface AnswerOptions {
  /** Classes per input, most probable first (default 5; all with `Infinity`); with the bundle's `answerChoices`, the classes a question offers come first. */
  readonly topK?: number;
  /** Also explain each top class with a {@link relevanceMap} (one more forward and a backward pass). */
  readonly relevance?: boolean;
}

/** The answers to a batch: per input the top classes; the relevance of the top class when asked for. */
export interface BundleAnswers {
  readonly ranked: readonly (readonly RankedClass[])[];
  readonly relevance?: RelevanceMap;
}

/**
 * Answers prepared images and their texts with an opened bundle (Node's `predictWithBundle` and the browser page both
 * come here): texts through the bundle's tokenizer, the model in evaluation mode, softmax over the classes.
 *
 * @throws ModelBundleError (problem `input`) for a text longer than the model's positions or images of another shape
 */
export function answerWithBundle(bundle: OpenedModelBundle, images: BundleImageBatch, texts: readonly string[], options: AnswerOptions = {}): BundleAnswers {
  const { tuning, tokenizer, config } = bundle;
  const kind = config.task.kind;
  if (kind === 'retrieval')
    throw new ModelBundleError(
      bundle.location,
      'input',
      'this is a retrieval model: it ranks a caption list for an image (rankCaptionsWithBundle; `umd-train predict --captions FILE`)',
    );
  const maxLength = config.maxTextLength;
  const { size, channels } = config.image;
  const [B, H, W, C] = images.shape;
  if (B !== texts.length || H !== size || W !== size || C !== channels || images.data.length !== B * H * W * C) {
    throw new ModelBundleError(
      bundle.location,
      'input',
      `images of shape [${images.shape.join(', ')}] for ${texts.length} text(s); this model takes [${texts.length}, ${size}, ${size}, ${channels}]`,
    );
  }
  // Tokenised once, untruncated: a text longer than the model reads is refused, not cut.
  const { inputIds, attentionMask, wordIds } = tokenizer.encodeBatch(texts, { maxLength: Number.MAX_SAFE_INTEGER });
  const T = inputIds.shape[1]!;
  texts.forEach((_, row) => {
    let length = 0;
    for (let t = 0; t < T; t++) length += attentionMask.data[row * T + t]!;
    if (length > maxLength) {
      throw new ModelBundleError(
        bundle.location,
        'input',
        `the ${kind === 'vqa' ? 'question' : 'text'} is ${length} tokens with [CLS] and [SEP]; this model reads at most ${maxLength}: shorten it`,
      );
    }
  });
  const imageTensor = tf.tensor4d(images.data, [B, H, W, C]);
  try {
    const batch = { images: imageTensor, tokenIds: inputIds.data, attentionMask: attentionMask.data, wordIds: wordIds.data };
    const softmax = tf.tidy(() => tf.softmax(taskLogits(tuning, batch)));
    const probabilities = softmax.dataSync() as Float32Array;
    softmax.dispose();
    const classes = taskClasses(config.task);
    const topK = Math.min(options.topK ?? 5, classes.length);
    const orders = texts.map((text, row) => {
      const scores = probabilities.subarray(row * classes.length, (row + 1) * classes.length);
      const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
      if (!config.answerChoices || kind !== 'vqa') return order;
      // A question that offers its answers ranks the classes it names first (their probabilities unchanged).
      const offered = new Set(offeredAnswerClasses(text, classes));
      return [...order.filter((index) => offered.has(index)), ...order.filter((index) => !offered.has(index))];
    });
    const ranked = orders.map((order, row) =>
      order.slice(0, topK).map((index) => ({ name: classes[index]!, probability: probabilities[row * classes.length + index]! })),
    );
    if (!options.relevance) return { ranked };
    return {
      ranked,
      relevance: relevanceMap(
        tuning,
        batch,
        Int32Array.from(orders, (order) => order[0]!),
      ),
    };
  } finally {
    imageTensor.dispose();
  }
}
