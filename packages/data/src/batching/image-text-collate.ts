import type { ImagePipeline } from '../image/image-pipeline.js';
import type { Sample } from '../sample.js';
import type { EncodeBatchOptions, WordPieceTokenizer } from '../text/word-piece-tokenizer.js';
import type { CollateContext } from './batch-loader.js';
import { loadImageBatch } from './load-image-batch.js';
import type { ShapedArray } from './shaped-array.js';

/** A batch of image-text samples as plain typed arrays. */
export interface ImageTextBatch<S> {
  /** The batch's samples (answers, labels and ids are read from here). */
  readonly samples: readonly S[];
  /** [B, H, W, C] float32, normalised. */
  readonly images: ShapedArray<Float32Array>;
  /** [B, T] int32 token ids. */
  readonly inputIds: ShapedArray<Int32Array>;
  /** [B, T] int32, 1 = real token, 0 = padding. */
  readonly attentionMask: ShapedArray<Int32Array>;
  /** [B, T] int32, word index per token (-1 for [CLS], [SEP], padding): for whole-word masking. */
  readonly wordIds: ShapedArray<Int32Array>;
}

/** Options of {@link createImageTextCollate}. */
export interface ImageTextCollateOptions<S> extends EncodeBatchOptions {
  readonly pipeline: ImagePipeline;
  readonly tokenizer: WordPieceTokenizer;
  /** The text of a sample. Default: the question (VQA), the caption (caption) or the text (classification). */
  readonly text?: (sample: S) => string;
  /** Images decoded at once per batch. Default 4. */
  readonly concurrency?: number;
}

/** The text a sample contributes by default. */
export function sampleText(sample: Sample): string {
  switch (sample.task) {
    case 'vqa':
      return sample.question;
    case 'caption':
      return sample.caption;
    case 'classification':
      return sample.text;
  }
}

/**
 * A collate function for {@link BatchLoader}: decodes the batch's images (random crops seeded per sample from the
 * context) and tokenises their texts.
 */
export function createImageTextCollate<S extends Sample>(
  options: ImageTextCollateOptions<S>,
): (samples: readonly S[], context: CollateContext) => Promise<ImageTextBatch<S>> {
  const { pipeline, tokenizer, text = sampleText, concurrency, ...encode } = options;
  return async (samples, context) => {
    const images = await loadImageBatch(
      pipeline,
      samples.map((sample) => sample.image),
      concurrency === undefined ? { randoms: context.randoms } : { randoms: context.randoms, concurrency },
    );
    const { inputIds, attentionMask, wordIds } = tokenizer.encodeBatch(samples.map(text), encode);
    return { samples, images, inputIds, attentionMask, wordIds };
  };
}
