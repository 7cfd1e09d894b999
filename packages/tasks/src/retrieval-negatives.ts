import type { SeededRandom } from '@umd/core';

/**
 * Which in-batch pairs match: 1 where image i and text j belong together (same index, same image id, or identical
 * token ids), as a row-major [B·B] array. Pure.
 *
 * @param tokenIds [B·T] row-major
 */
export function positivePairs(batchSize: number, tokenIds: Int32Array, imageIds: readonly string[] | undefined): Float32Array {
  const B = batchSize;
  const T = tokenIds.length / B;
  const sameText = (i: number, j: number): boolean => {
    for (let t = 0; t < T; t++) if (tokenIds[i * T + t] !== tokenIds[j * T + t]) return false;
    return true;
  };
  const positives = new Float32Array(B * B);
  for (let i = 0; i < B; i++) {
    for (let j = 0; j < B; j++) {
      const match = i === j || (imageIds !== undefined && imageIds[i] === imageIds[j]) || sameText(i, j);
      positives[i * B + j] = match ? 1 : 0;
    }
  }
  return positives;
}

/** One negative per image and per text (−1 when the batch has none to offer). */
export interface InBatchNegatives {
  /** [B] for image i, the index of a non-matching text. */
  readonly textForImage: Int32Array;
  /** [B] for text j, the index of a non-matching image. */
  readonly imageForText: Int32Array;
}

/**
 * Draws one in-batch negative per image and per text for ITM. Hard negatives (ALBEF): a candidate is drawn with
 * probability ∝ exp(similarity / τ), so captions the first stage confuses with the image are drawn more often;
 * otherwise uniformly. Candidates that match (`positives`) are never drawn. Pure apart from `random`.
 *
 * @param similarity [B·B] row-major cosine of image i and text j
 * @param positives [B·B] from {@link positivePairs}
 */
export function sampleNegatives(
  similarity: ArrayLike<number>,
  positives: Float32Array,
  batchSize: number,
  random: SeededRandom,
  options: { readonly hard: boolean; readonly temperature: number },
): InBatchNegatives {
  const B = batchSize;
  const draw = (score: (k: number) => number, isPositive: (k: number) => boolean): number => {
    const weights = new Float64Array(B);
    let max = -Infinity;
    for (let k = 0; k < B; k++) if (!isPositive(k)) max = Math.max(max, options.hard ? score(k) / options.temperature : 0);
    if (max === -Infinity) return -1;
    let total = 0;
    for (let k = 0; k < B; k++) {
      weights[k] = isPositive(k) ? 0 : Math.exp((options.hard ? score(k) / options.temperature : 0) - max);
      total += weights[k]!;
    }
    let u = random.next() * total;
    for (let k = 0; k < B; k++) {
      if (weights[k] === 0) continue;
      u -= weights[k]!;
      if (u < 0) return k;
    }
    for (let k = B - 1; k >= 0; k--) if (weights[k]! > 0) return k; // rounding at the very end
    return -1;
  };
  const textForImage = new Int32Array(B);
  const imageForText = new Int32Array(B);
  for (let i = 0; i < B; i++)
    textForImage[i] = draw(
      (j) => similarity[i * B + j]!,
      (j) => positives[i * B + j] === 1,
    );
  for (let j = 0; j < B; j++)
    imageForText[j] = draw(
      (i) => similarity[i * B + j]!,
      (i) => positives[i * B + j] === 1,
    );
  return { textForImage, imageForText };
}
