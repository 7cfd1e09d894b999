import * as tf from '@tensorflow/tfjs-core';
import { ShapeMismatchError, softmaxCrossEntropy } from '@umd/core';

/**
 * Symmetric InfoNCE (CLIP) over a batch of image and text embeddings: logits = cosine / τ [B, B]; each image's
 * targets are its positive texts (row of `positives`, normalised to sum 1) and each text's its positive images. With
 * distinct pairs `positives` is the identity and this is CLIP's loss; duplicates (two samples with the same caption or
 * image) share the probability mass instead of being pushed apart. Returns a scalar the caller owns.
 *
 * @param image [B, P] unit-length image embeddings
 * @param text [B, P] unit-length text embeddings
 * @param positives [B·B] row-major, 1 where image i and text j match (the diagonal at least)
 * @throws ShapeMismatchError when the shapes disagree
 */
export function contrastiveLoss(image: tf.Tensor, text: tf.Tensor, positives: Float32Array, temperature: number): tf.Scalar {
  const [B] = image.shape as [number, number];
  if (image.rank !== 2 || text.rank !== 2 || text.shape[0] !== B || text.shape[1] !== image.shape[1] || positives.length !== B * B) {
    throw new ShapeMismatchError('contrastiveLoss(text)', image.shape, text.shape, `positives must hold B·B = ${B * B} values (got ${positives.length}).`);
  }
  return tf.tidy('tasks/contrastive-loss', () => {
    const logits = tf.div(tf.matMul(image, text, false, true), temperature); // [B, B]: image i · text j
    const match = tf.tensor2d(positives, [B, B]);
    const imageTargets = tf.div(match, tf.sum(match, 1, true)); // rows: image → texts
    const textTargets = tf.div(tf.transpose(match), tf.sum(tf.transpose(match), 1, true)); // rows: text → images
    const imageToText = softmaxCrossEntropy(logits, { distributions: imageTargets });
    const textToImage = softmaxCrossEntropy(tf.transpose(logits), { distributions: textTargets });
    return tf.mul(tf.add(imageToText, textToImage), 0.5) as tf.Scalar;
  });
}
