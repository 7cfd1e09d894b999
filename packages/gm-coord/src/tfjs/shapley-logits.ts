import * as tf from '@tensorflow/tfjs-core';

import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { checkSegments, segmentMask, type FeatureSegment, type FusionHead } from './segments.js';

/** 2^M head evaluations: past this many modalities the exact Shapley sum is too costly to run every step. */
const maxModalities = 8;

/**
 * AGM's mono-modal responses: each modality's Shapley share of the fused logits. With f(S) = head(pooled with the
 * modalities outside S zeroed) and N the set of M modalities,
 *
 *   φ_m = Σ_{S ⊆ N∖{m}} |S|! (M − |S| − 1)! / M! · (f(S ∪ {m}) − f(S)),
 *
 * so Σ_m φ_m = f(N) − f(∅) (the fused logits minus the all-zero input's). For two modalities
 * φ_a = ½ (f(a, b) − f(b)) + ½ (f(a) − f(∅)). AGM's code leaves out the f(∅) term; here the empty coalition is
 * the all-zero input, so the shares are exact Shapley values. The zeroing caveats of `unimodalLogits` apply.
 *
 * @param head pooled [B, D] → logits [B, K]; called 2^M times inside a tidy (M ≤ 8)
 * @param pooled [B, D], modality slices in `segments` order (borrowed)
 * @returns modality → φ_m [B, K], new tensors owned by the caller
 */
export function shapleyLogits(head: FusionHead, pooled: tf.Tensor2D, segments: readonly FeatureSegment[]): Record<string, tf.Tensor2D> {
  checkSegments(pooled, segments, 'shapleyLogits');
  const M = segments.length;
  if (M > maxModalities) throw new InvalidConfigError('shapleyLogits(segments)', `${M} modalities`, `at most ${maxModalities} (2^M head calls)`);
  const D = pooled.shape[1];
  return tf.tidy('gm-coord/shapley-logits', () => {
    // f(S) for every coalition S, indexed by bitmask over segment order.
    const values: tf.Tensor2D[] = [];
    for (let subset = 0; subset < 1 << M; subset++) {
      const keep = new Set(segments.filter((_, m) => (subset >> m) & 1).map((segment) => segment.modality));
      values.push(head(tf.mul(pooled, tf.tensor2d(segmentMask(segments, keep), [1, D]))));
    }
    const result: Record<string, tf.Tensor2D> = {};
    segments.forEach(({ modality }, m) => {
      const terms: tf.Tensor2D[] = [];
      for (let subset = 0; subset < 1 << M; subset++) {
        if ((subset >> m) & 1) continue;
        const size = popcount(subset);
        const weight = (factorial(size) * factorial(M - size - 1)) / factorial(M);
        const gain = tf.sub(values[subset | (1 << m)] as tf.Tensor2D, values[subset] as tf.Tensor2D);
        terms.push(tf.mul(gain, tf.scalar(weight)));
      }
      result[modality] = tf.addN(terms);
    });
    return result;
  });
}

function popcount(bits: number): number {
  let count = 0;
  for (let rest = bits; rest > 0; rest >>= 1) count += rest & 1;
  return count;
}

function factorial(n: number): number {
  let product = 1;
  for (let i = 2; i <= n; i++) product *= i;
  return product;
}
