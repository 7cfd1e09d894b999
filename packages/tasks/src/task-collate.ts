import { loadImageBatch, sampleText, type CollateContext, type ImagePipeline, type ShapedArray, type WordPieceTokenizer } from '@umd/data';

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
}

/**
 * A collate function for `@umd/data`'s BatchLoader: loads the images through `pipeline` (random crops seeded per
 * sample from the context; none at all when `blindImage`) and tokenises the question, caption or text.
 */
export function createTaskCollate<S extends TaskSample>(
  options: TaskCollateOptions,
): (samples: readonly S[], context?: CollateContext) => Promise<TaskSampleBatch<S>> {
  const { pipeline, tokenizer, maxLength, blindImage = false } = options;
  const [H, W, C] = pipeline.outputShape;
  return async (samples, context) => {
    const images = blindImage
      ? { data: new Float32Array(samples.length * H * W * C), shape: [samples.length, H, W, C] }
      : await loadImageBatch(
          pipeline,
          samples.map((sample) => sample.image),
          context ? { randoms: context.randoms } : {},
        );
    const { inputIds, attentionMask, wordIds } = tokenizer.encodeBatch(samples.map(sampleText), { maxLength });
    return { samples, images, inputIds, attentionMask, wordIds };
  };
}
