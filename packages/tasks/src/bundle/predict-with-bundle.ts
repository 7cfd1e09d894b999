import { loadImageBatch, type ImageSource } from '@umd/data';

import type { RelevanceMap } from '../relevance-map.js';
import { answerWithBundle, type RankedClass } from './answer-with-bundle.js';
import { rankCaptionsWithBundle, type RankedCaption } from './rank-captions.js';
import type { ModelBundle } from './load-model-bundle.js';

/** One input of {@link predictWithBundle}. */
export interface BundleInput {
  readonly image: ImageSource;
  /** The question (VQA) or the text paired with the image (classification; may be empty). */
  readonly text: string;
}

/** The model's answer to one input: the `topK` most probable classes, most probable first. */
export interface BundlePrediction {
  readonly kind: 'vqa' | 'classification';
  readonly ranked: readonly RankedClass[];
  /** Gradient × input of the top class per patch (`grid` rows × columns, raster order), when asked for. */
  readonly relevance?: { readonly grid: readonly [number, number]; readonly values: readonly number[] };
  /** Milliseconds for this input's share of the batch (image decode, tokenise, forward). */
  readonly ms: number;
}

/**
 * Answers a batch of image + text inputs with a loaded bundle: images through the bundle's preprocessing, then
 * {@link answerWithBundle}.
 *
 * @param options.topK classes per input, most probable first (default 5; all with `Infinity`)
 * @param options.relevance also return each top class's relevance map
 * @throws ModelBundleError (problem `input`) for a text longer than the model's positions; ImageDecodeError naming an
 *   image that does not decode
 */
export async function predictWithBundle(
  bundle: ModelBundle,
  inputs: readonly BundleInput[],
  options: { readonly topK?: number; readonly relevance?: boolean } = {},
): Promise<BundlePrediction[]> {
  const started = performance.now();
  const kind = bundle.config.task.kind as 'vqa' | 'classification';
  const images = await loadImageBatch(
    bundle.pipeline,
    inputs.map((input) => input.image),
  );
  const answers = answerWithBundle(
    bundle,
    { data: images.data, shape: images.shape as [number, number, number, number] },
    inputs.map((input) => input.text),
    options,
  );
  const ms = (performance.now() - started) / Math.max(1, inputs.length);
  return answers.ranked.map((ranked, row) => ({ kind, ranked, ...(answers.relevance ? { relevance: rowOf(answers.relevance, row) } : {}), ms }));
}

function rowOf(map: RelevanceMap, row: number): NonNullable<BundlePrediction['relevance']> {
  const L = map.grid[0] * map.grid[1];
  return { grid: map.grid, values: Array.from(map.values.subarray(row * L, (row + 1) * L)) };
}

/**
 * Ranks a caption list for each image with a retrieval bundle: images through the bundle's preprocessing, then
 * `rankCaptionsWithBundle`.
 *
 * @throws ModelBundleError (problem `input`) for another task, no captions or a caption too long; ImageDecodeError
 *   naming an image that does not decode
 */
export async function predictCaptionsWithBundle(
  bundle: ModelBundle,
  images: readonly ImageSource[],
  captions: readonly string[],
  options: { readonly topK?: number; readonly rerank?: number } = {},
): Promise<{ readonly ranked: readonly (readonly RankedCaption[])[]; readonly ms: number }> {
  const started = performance.now();
  const batch = await loadImageBatch(bundle.pipeline, images);
  const ranked = await rankCaptionsWithBundle(bundle, { data: batch.data, shape: batch.shape as [number, number, number, number] }, captions, options);
  return { ranked, ms: (performance.now() - started) / Math.max(1, images.length) };
}
