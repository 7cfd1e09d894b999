import * as tf from '@tensorflow/tfjs-core';

import { scoreRetrieval } from '../score-retrieval.js';
import type { BundleImageBatch } from './answer-with-bundle.js';
import { ModelBundleError } from './model-bundle-error.js';
import type { OpenedModelBundle } from './open-model-bundle.js';

/** A caption with how well it matches the image. */
export interface RankedCaption {
  readonly caption: string;
  /** Index in the caption list. */
  readonly index: number;
  /**
   * P(match) from the fused image-text matching head, sigmoid of its log-odds, for the pairs the first stage kept (the
   * image's `rerank` best captions by cosine and the captions that have the image among their `rerank` best); undefined
   * for the others, which rank below them by cosine.
   */
  readonly probability?: number;
  /** First-stage cosine of the projected image and caption embeddings. */
  readonly cosine: number;
}

/**
 * Ranks a caption list for each image with a retrieval bundle, as the retrieval evaluation does (`scoreRetrieval`):
 * cosine of the projected unimodal embeddings for every pair, then the fused ITM head on the candidates (each image's
 * `rerank` best captions and each caption's `rerank` best images).
 *
 * @param options.topK captions returned per image (default 5); options.rerank candidates re-scored (default 20)
 * @throws ModelBundleError (`input`) for a bundle of another task, no captions, a caption longer than the model reads or
 *   images of another shape
 */
export async function rankCaptionsWithBundle(
  bundle: OpenedModelBundle,
  images: BundleImageBatch,
  captions: readonly string[],
  options: { readonly topK?: number; readonly rerank?: number } = {},
): Promise<RankedCaption[][]> {
  const { tuning, tokenizer, config } = bundle;
  if (config.task.kind !== 'retrieval')
    throw new ModelBundleError(
      bundle.location,
      'input',
      `a caption list ranks captions with a retrieval model; this is a ${config.task.kind} model: ask it a question or give it a text instead`,
    );
  if (captions.length === 0) throw new ModelBundleError(bundle.location, 'input', 'the caption list is empty: give at least one caption to rank');
  const { size, channels } = config.image;
  const [N, H, W, C] = images.shape;
  if (H !== size || W !== size || C !== channels || images.data.length !== N * H * W * C) {
    throw new ModelBundleError(bundle.location, 'input', `images of shape [${images.shape.join(', ')}]; this model takes [N, ${size}, ${size}, ${channels}]`);
  }
  captions.forEach((caption, index) => {
    const length = tokenizer.encode(caption, { maxLength: Number.MAX_SAFE_INTEGER }).ids.length;
    if (length > config.maxTextLength) {
      throw new ModelBundleError(
        bundle.location,
        'input',
        `caption ${index + 1} is ${length} tokens with [CLS] and [SEP]; this model reads at most ${config.maxTextLength}: shorten it`,
      );
    }
  });
  const { inputIds, attentionMask } = tokenizer.encodeBatch(captions, { maxLength: config.maxTextLength });
  const imageTensor = tf.tensor4d(images.data, [N, H, W, C]);
  let scored: Awaited<ReturnType<typeof scoreRetrieval>>;
  try {
    scored = await scoreRetrieval(tuning, imageTensor, { tokenIds: inputIds, attentionMask }, { topK: options.rerank ?? 20 });
  } finally {
    imageTensor.dispose();
  }
  const M = captions.length;
  const topK = Math.min(options.topK ?? 5, M);
  return Array.from({ length: N }, (_, row) => {
    const scores = scored.scores.subarray(row * M, (row + 1) * M);
    const cosines = scored.similarity.subarray(row * M, (row + 1) * M);
    const reranked = new Set(
      Array.from(scored.pairs)
        .filter((pair) => Math.floor(pair / M) === row)
        .map((pair) => pair % M),
    );
    const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]! || a - b);
    return order.slice(0, topK).map((index) => ({
      caption: captions[index]!,
      index,
      ...(reranked.has(index) ? { probability: 1 / (1 + Math.exp(-scores[index]!)) } : {}),
      cosine: cosines[index]!,
    }));
  });
}
