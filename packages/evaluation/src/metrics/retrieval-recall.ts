import { checkInteger, checkLength, checkNumbers } from '../errors/check-input.js';
import { EvaluationInputError } from '../errors/evaluation-input-error.js';

/** Options of {@link retrievalRanks} and {@link retrievalRecall}. */
export interface RetrievalOptions {
  /**
   * [nTexts] the index of the image each text describes, for data sets with several captions per image. Default: the
   * identity (text i describes image i; needs nImages === nTexts).
   */
  readonly textImage?: ArrayLike<number>;
}

/** 1-based rank of the correct answer for every query. */
export interface RetrievalRanks {
  /** [nImages] per image query, the rank of its best-scored matching text; NaN for an image no text describes */
  readonly imageToText: number[];
  /** [nTexts] per text query, the rank of its image */
  readonly textToImage: number[];
}

/** Recall@K in [0, 1] for both directions. */
export interface RetrievalRecall {
  readonly imageToText: Readonly<Record<'r1' | 'r5' | 'r10', number>>;
  readonly textToImage: Readonly<Record<'r1' | 'r5' | 'r10', number>>;
  /** mean of the six recalls */
  readonly meanRecall: number;
  /** Number of queries each direction averages over (images without any matching text are left out). */
  readonly queries: Readonly<{ imageToText: number; textToImage: number }>;
}

/**
 * Ranks of the correct candidates in image→text and text→image retrieval.
 *
 * Tie rule (pessimistic, so constant scores never look good): rank = 1 + the number of non-matching candidates
 * whose score is ≥ the query's matching score. For an image with several matching texts, its best-scored matching
 * text counts (the usual "any caption in the top K" rule), and the other matching texts never count against it.
 *
 * @param scores [nImages, nTexts] row-major similarities, `scores[i * nTexts + t]` (higher = more similar); ±Infinity allowed, NaN not
 * @throws {EvaluationInputError} a size is not an integer ≥ 1, `scores` has the wrong length or a NaN, nImages ≠ nTexts
 *   without `textImage`, or a `textImage` entry is not an image index
 */
export function retrievalRanks(scores: ArrayLike<number>, nImages: number, nTexts: number, options: RetrievalOptions = {}): RetrievalRanks {
  checkInteger(nImages, 'nImages', 1);
  checkInteger(nTexts, 'nTexts', 1);
  checkNumbers(scores, 'scores', { allowInfinite: true });
  checkLength(scores.length, nImages * nTexts, 'scores', `nImages × nTexts = ${nImages} × ${nTexts}, row-major [nImages, nTexts]`);
  const textImage = resolveTextImage(options.textImage, nImages, nTexts);

  const textToImage = new Array<number>(nTexts);
  for (let t = 0; t < nTexts; t++) {
    const image = textImage[t] as number;
    const trueScore = scores[image * nTexts + t] as number;
    let rank = 1;
    for (let i = 0; i < nImages; i++) if (i !== image && (scores[i * nTexts + t] as number) >= trueScore) rank += 1;
    textToImage[t] = rank;
  }

  const imageToText = new Array<number>(nImages).fill(Number.NaN);
  for (let i = 0; i < nImages; i++) {
    const row = i * nTexts;
    let best = Number.NEGATIVE_INFINITY;
    let matched = false;
    for (let t = 0; t < nTexts; t++) {
      if (textImage[t] === i) {
        matched = true;
        best = Math.max(best, scores[row + t] as number);
      }
    }
    if (!matched) continue;
    let rank = 1;
    for (let t = 0; t < nTexts; t++) if (textImage[t] !== i && (scores[row + t] as number) >= best) rank += 1;
    imageToText[i] = rank;
  }
  return { imageToText, textToImage };
}

/**
 * Image→text and text→image Recall@1/5/10 (fraction of queries whose correct candidate ranks ≤ K under the tie rule
 * of {@link retrievalRanks}) and their mean ("mean recall", rsum / 6).
 *
 * @param scores [nImages, nTexts] row-major similarities; by default image i matches text i
 * @throws {EvaluationInputError} as {@link retrievalRanks}
 */
export function retrievalRecall(scores: ArrayLike<number>, nImages: number, nTexts: number, options: RetrievalOptions = {}): RetrievalRecall {
  const ranks = retrievalRanks(scores, nImages, nTexts, options);
  const imageRanks = ranks.imageToText.filter((rank) => !Number.isNaN(rank));
  const imageToText = recallAtK(imageRanks);
  const textToImage = recallAtK(ranks.textToImage);
  const all = [imageToText.r1, imageToText.r5, imageToText.r10, textToImage.r1, textToImage.r5, textToImage.r10];
  return {
    imageToText,
    textToImage,
    meanRecall: all.reduce((sum, value) => sum + value, 0) / all.length,
    queries: { imageToText: imageRanks.length, textToImage: ranks.textToImage.length },
  };
}

function recallAtK(ranks: readonly number[]): Record<'r1' | 'r5' | 'r10', number> {
  const recall = (k: number): number => (ranks.length === 0 ? Number.NaN : ranks.filter((rank) => rank <= k).length / ranks.length);
  return { r1: recall(1), r5: recall(5), r10: recall(10) };
}

function resolveTextImage(textImage: ArrayLike<number> | undefined, nImages: number, nTexts: number): ArrayLike<number> {
  if (textImage === undefined) {
    if (nImages !== nTexts) {
      throw new EvaluationInputError('nTexts', `nImages (${nImages}) when options.textImage is not given`, nTexts, {
        hint: 'Pass options.textImage (the image index of every text) when several captions share an image.',
      });
    }
    return Array.from({ length: nTexts }, (_, t) => t);
  }
  checkNumbers(textImage, 'options.textImage');
  checkLength(textImage.length, nTexts, 'options.textImage', 'one image index per text');
  for (let t = 0; t < nTexts; t++) checkInteger(textImage[t], `options.textImage[${t}]`, 0, nImages - 1);
  return textImage;
}
