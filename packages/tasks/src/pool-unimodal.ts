import * as tf from '@tensorflow/tfjs-core';
import { maskedMean, type FusionPooling } from '@umd/encoders';

/**
 * One encoder's output as one vector per sample, for retrieval's first stage: its CLS token (`cls`), or the mean over
 * its tokens (`mean`; the text's real tokens only, by `mask`) — the same choice the fused heads make.
 *
 * @param stream [B, N, D] an encoder's output (CLS first)
 * @param mask [B, N] 1 = real token (text), or undefined (image: every patch)
 * @returns [B, D]
 */
export function poolUnimodal(stream: tf.Tensor3D, pooling: FusionPooling, mask?: tf.Tensor): tf.Tensor2D {
  if (pooling === 'mean') return maskedMean(stream, mask);
  const [B, , D] = stream.shape;
  return tf.reshape(tf.slice(stream, [0, 0, 0], [B, 1, D]), [B, D]);
}
