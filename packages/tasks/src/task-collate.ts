import { InvalidConfigError, SeededRandom } from '@umd/core';
import {
  dropSentences,
  loadImageBatch,
  sampleText,
  type CollateContext,
  type ImagePipeline,
  type RandomSource,
  type ShapedArray,
  type WordPieceTokenizer,
} from '@umd/data';

import type { TaskSample } from './task-samples.js';

/** A batch of task samples as plain typed arrays (no tensors). */
export interface TaskSampleBatch<S extends TaskSample = TaskSample> {
  readonly samples: readonly S[];
  /** [B, H, W, C] float32, normalised; zeros when the image is hidden (`blindImage`). */
  readonly images: ShapedArray<Float32Array>;
  /** [B, T] int32 */
  readonly inputIds: ShapedArray<Int32Array>;
  /** [B, T] int32, 1 = real token */
  readonly attentionMask: ShapedArray<Int32Array>;
  /** [B, T] int32, −1 for special tokens */
  readonly wordIds: ShapedArray<Int32Array>;
}

/** Options of {@link createTaskCollate}. */
export interface TaskCollateOptions {
  readonly pipeline: ImagePipeline;
  readonly tokenizer: WordPieceTokenizer;
  /** Longest token sequence ([CLS] and [SEP] included): the model's text length. */
  readonly maxLength: number;
  /** Never load the images: every one is zeros ("question-only" / "caption-only" floor). */
  readonly blindImage?: boolean;
  /** Never read the texts: every question, caption or text is empty ([CLS] [SEP]), the "image-only" floor. */
  readonly blindText?: boolean;
  /**
   * A fixed set of random crops per image: epoch e shows view e mod `count` of each image, drawn from (`seed`, image
   * id, view) — the same box for every sample of that image (every question of a VQA image) and in every cycle. A
   * finite set of crops is what lets a vision stem's feature cache (keyed by the crop's pixels) serve them after the
   * first `count` epochs. Without it, each load draws a fresh crop from the context's randoms.
   */
  readonly augmentViews?: { readonly count: number; readonly seed: number };
  /**
   * Training-text augmentation (with a context, i.e. in training): each sentence of a caption or classification text
   * is left out with `probability`, at least one kept ({@link dropSentences}), drawn from (`seed`, sample id, epoch).
   * VQA questions are never cut.
   */
  readonly sentenceDrop?: { readonly probability: number; readonly seed: number };
}

/**
 * A collate function for `@umd/data`'s BatchLoader: loads the images through `pipeline` (random crops seeded per
 * sample from the context, or one of `augmentViews.count` fixed crops per image; none at all when `blindImage`) and
 * tokenises the question, caption or text (captions and texts with sentences left out under `sentenceDrop`).
 */
export function createTaskCollate<S extends TaskSample>(
  options: TaskCollateOptions,
): (samples: readonly S[], context?: CollateContext) => Promise<TaskSampleBatch<S>> {
  const { pipeline, tokenizer, maxLength, blindImage = false, blindText = false, augmentViews, sentenceDrop } = options;
  if (blindImage && blindText) throw new InvalidConfigError('blindText', true, 'false with blindImage (a model blind to both has nothing to read)');
  if (sentenceDrop && !(sentenceDrop.probability >= 0 && sentenceDrop.probability < 1)) {
    throw new InvalidConfigError('sentenceDrop.probability', sentenceDrop.probability, 'a probability in [0, 1)');
  }
  const textOf = (sample: S, context: CollateContext | undefined): string => {
    if (blindText) return '';
    const text = sampleText(sample);
    if (!sentenceDrop || !context || sample.task === 'vqa') return text;
    return dropSentences(text, sentenceDrop.probability, new SeededRandom(`umd-task-collate:text:${sentenceDrop.seed}:${sample.id}:${context.epoch}`));
  };
  if (augmentViews && !(Number.isInteger(augmentViews.count) && augmentViews.count >= 1)) {
    throw new InvalidConfigError('augmentViews.count', augmentViews.count, 'a positive integer (crops per image)');
  }
  const [H, W, C] = pipeline.outputShape;
  const randomsOf = (samples: readonly S[], context: CollateContext): readonly RandomSource[] => {
    if (!augmentViews) return context.randoms;
    const view = context.epoch % augmentViews.count;
    return samples.map((sample) => new SeededRandom(`umd-task-collate:view:${augmentViews.seed}:${sample.imageId}:${view}`));
  };
  return async (samples, context) => {
    const images = blindImage
      ? { data: new Float32Array(samples.length * H * W * C), shape: [samples.length, H, W, C] }
      : await loadImageBatch(
          pipeline,
          samples.map((sample) => sample.image),
          context ? { randoms: randomsOf(samples, context) } : {},
        );
    const texts = samples.map((sample) => textOf(sample, context));
    const { inputIds, attentionMask, wordIds } = tokenizer.encodeBatch(texts, { maxLength });
    return { samples, images, inputIds, attentionMask, wordIds };
  };
}
