import * as tf from '@tensorflow/tfjs-core';

import { checkSegments, segmentMask, type FeatureSegment, type FusionHead } from './segments.js';

/**
 * Unimodal predictions from a late-fusion model: for each modality, the head applied to the pooled feature with every
 * other modality's columns set to zero. This is how GM-Coord reads OGM-GE's per-modality score from a two-stream
 * model whose head sees pooled = concat([text CLS; image CLS]).
 *
 * What it is: for a linear head, logits_m = W_m · z_m + b, exactly OGM-GE's "each modality's share of the fused
 * logits" (OGM-GE's code gives each modality b / 2 instead of b; the shared bias shifts both modalities alike).
 * Its limits: (1) for a non-linear head (an MLP, a LayerNorm first) zero is not a neutral input, so the "unimodal"
 * logits also measure how the head reacts to an out-of-distribution input; (2) when the streams exchange information
 * before pooling (co-attention fusion), each CLS already carries the other modality, so the prediction is not truly
 * unimodal. It is a cheap, monotone proxy for how far each stream drives the decision, not a separate classifier.
 *
 * @param head the fusion head, pooled [B, D] → logits [B, K]; called once per modality inside a tidy
 * @param pooled [B, D] the pooled features, modality slices in `segments` order (borrowed)
 * @param segments each modality's slice of D, in order
 * @returns modality → logits [B, K], new tensors owned by the caller
 */
export function unimodalLogits(head: FusionHead, pooled: tf.Tensor2D, segments: readonly FeatureSegment[]): Record<string, tf.Tensor2D> {
  checkSegments(pooled, segments, 'unimodalLogits');
  return tf.tidy('gm-coord/unimodal-logits', () => {
    const result: Record<string, tf.Tensor2D> = {};
    for (const { modality } of segments) {
      const mask = tf.tensor2d(segmentMask(segments, new Set([modality])), [1, pooled.shape[1]]); // [1, D]
      result[modality] = head(tf.mul(pooled, mask)); // [B, D] → [B, K]
    }
    return result;
  });
}
