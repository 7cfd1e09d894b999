import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError } from '@umd/core';

/** One tuning or prediction batch. Nothing in it is disposed by the functions that take it. */
export interface TaskBatch {
  /** [B, H, W, C] float32 normalised images (NHWC) at the model's size; zeros for a blind (text-only) model. */
  readonly images: tf.Tensor;
  /** [B, T] int32 token ids: a row-major typed array or a tensor. */
  readonly tokenIds: Int32Array | tf.Tensor;
  /** [B, T] 1 = real token, 0 = padding. */
  readonly attentionMask: ArrayLike<number> | tf.Tensor;
  /** [B, T] word index of each token, −1 for special tokens (TD-Calib's auxiliary masking reads it). */
  readonly wordIds: ArrayLike<number> | tf.Tensor;
  /**
   * [B] class index per sample (VQA: answer index, −1 = outside the vocabulary → masked out of the loss);
   * absent for retrieval.
   */
  readonly targets?: Int32Array;
  /**
   * [B] an identifier of each sample's image (retrieval): pairs that share an image, or an identical text, are
   * positives of each other and never drawn as negatives. Default: every sample its own image.
   */
  readonly imageIds?: readonly string[];
  /**
   * Auxiliary attribute targets: field → [B] class index in the tuning's `attributes.classes[field]` (−1 = not
   * counted). Needed when the tuning has attribute heads; see `attributeTargets`.
   */
  readonly attributes?: Readonly<Record<string, Int32Array>>;
}

/** The batch as tensors, for use inside a tidy (the arrays become tensors the tidy frees; tensors are borrowed). */
export interface BatchTensors {
  /** [B, H, W, C] */
  readonly images: tf.Tensor4D;
  /** [B, T] int32 */
  readonly tokenIds: tf.Tensor2D;
  /** [B, T] float32, 1 = real token */
  readonly attentionMask: tf.Tensor2D;
  readonly batchSize: number;
  readonly length: number;
}

/**
 * Checks a batch and returns its tensors. Call inside a tidy: arrays are turned into new tensors there.
 *
 * @param caller names the function in errors
 * @throws ShapeMismatchError when images are not [B, H, W, C], the token arrays not [B, T], or targets not [B]
 */
export function batchTensors(batch: TaskBatch, caller: string): BatchTensors {
  const { images } = batch;
  if (images.rank !== 4) throw new ShapeMismatchError(`${caller}(images)`, ['B', 'H', 'W', 'C'], images.shape);
  const B = images.shape[0]!;
  const tokenLength = batch.tokenIds instanceof tf.Tensor ? batch.tokenIds.size : batch.tokenIds.length;
  const T = batch.tokenIds instanceof tf.Tensor ? (batch.tokenIds.shape[1] ?? 0) : tokenLength / B;
  if (!Number.isInteger(T) || T < 1 || tokenLength !== B * T || (batch.tokenIds instanceof tf.Tensor && batch.tokenIds.rank !== 2)) {
    throw new ShapeMismatchError(`${caller}(tokenIds)`, [B, 'T'], batch.tokenIds instanceof tf.Tensor ? batch.tokenIds.shape : [tokenLength]);
  }
  const maskLength = batch.attentionMask instanceof tf.Tensor ? batch.attentionMask.size : batch.attentionMask.length;
  if (maskLength !== B * T) {
    throw new ShapeMismatchError(`${caller}(attentionMask)`, [B, T], batch.attentionMask instanceof tf.Tensor ? batch.attentionMask.shape : [maskLength]);
  }
  if (batch.targets && batch.targets.length !== B) throw new ShapeMismatchError(`${caller}(targets)`, [B], [batch.targets.length]);
  if (batch.imageIds && batch.imageIds.length !== B) throw new ShapeMismatchError(`${caller}(imageIds)`, [B], [batch.imageIds.length]);
  for (const [field, targets] of Object.entries(batch.attributes ?? {})) {
    if (targets.length !== B) throw new ShapeMismatchError(`${caller}(attributes['${field}'])`, [B], [targets.length]);
  }
  const tokenIds =
    batch.tokenIds instanceof tf.Tensor
      ? batch.tokenIds.dtype === 'int32'
        ? batch.tokenIds
        : tf.cast(batch.tokenIds, 'int32')
      : tf.tensor2d(batch.tokenIds, [B, T], 'int32');
  const attentionMask =
    batch.attentionMask instanceof tf.Tensor
      ? tf.cast(tf.reshape(batch.attentionMask, [B, T]), 'float32')
      : tf.tensor2d(Float32Array.from(batch.attentionMask), [B, T]);
  return {
    images: images as tf.Tensor4D,
    tokenIds: tf.reshape(tokenIds, [B, T]) as tf.Tensor2D,
    attentionMask: attentionMask as tf.Tensor2D,
    batchSize: B,
    length: T,
  };
}

/** The batch's token ids as a typed array (reads a tensor back: a sync point). */
export function tokenIdArray(batch: TaskBatch): Int32Array {
  return batch.tokenIds instanceof tf.Tensor ? Int32Array.from(batch.tokenIds.dataSync()) : batch.tokenIds;
}
