import { InvalidConfigError, ShapeMismatchError, type SeededRandom } from '@umd/core';

/** Label value of tokens that are not predicted (PyTorch's `ignore_index`). */
export const ignoredLabel = -100;

export interface MaskTokensOptions {
  /** B; the arrays hold B·T values, row-major. */
  readonly batchSize: number;
  /** Fraction of the words of each sample that are predicted. Default 0.15 (BERT). */
  readonly ratio?: number;
  /**
   * Default true: select whole words (every token with the same `wordIds` entry) and treat each selected word as one
   * unit for the 80/10/10 rule, so a word is never split. False: every eligible token is its own word.
   */
  readonly wholeWord?: boolean;
  /** The tokenizer's `[MASK]` id. */
  readonly maskTokenId: number;
  /** V: random replacements are drawn uniformly from [0, V) minus `specialTokenIds`. */
  readonly vocabSize: number;
  /** Ids never selected and never drawn as replacements (`[CLS]`, `[SEP]`, `[PAD]`, `[MASK]`, `[UNK]`, …). */
  readonly specialTokenIds: readonly number[];
}

/** The result of {@link maskTokens}: plain typed arrays, row-major [B, T]. */
export interface TokenMasking {
  /** [B, T] int32: the model's input (selected words replaced by the 80/10/10 rule). */
  readonly inputIds: Int32Array;
  /** [B, T] int32: the original id at predicted tokens, {@link ignoredLabel} (−100) elsewhere. */
  readonly labels: Int32Array;
  /** [N] int32: flat positions b·T + t of the predicted tokens, ascending. */
  readonly positions: Int32Array;
  /** [N] int32: the original ids at `positions` (the MLM targets). */
  readonly targets: Int32Array;
}

/**
 * BERT-style masked-language-model corruption with whole-word masking. In each sample, the eligible tokens
 * (attention mask 1, word index ≥ 0, not a special id) are grouped into words by `wordIds`; exactly
 * round(ratio · words) words are selected (at least 1 when the sample has a word). Each selected word is, as a unit,
 * replaced by `[MASK]` (80%), by random ids (10%, one draw per token) or kept (10%), and all its tokens are predicted.
 *
 * @param tokenIds [B, T] int32 ids
 * @param attentionMask [B, T] 1 = real token, 0 = padding
 * @param wordIds [B, T] the word index of each token within its sample (a tokenizer's `word_ids()`), −1 for special
 *   tokens
 * @throws ShapeMismatchError when the arrays do not all hold B·T values
 * @throws InvalidConfigError for a ratio outside (0, 1] or a non-positive vocabulary size
 */
export function maskTokens(
  tokenIds: Int32Array,
  attentionMask: ArrayLike<number>,
  wordIds: ArrayLike<number>,
  options: MaskTokensOptions,
  random: SeededRandom,
): TokenMasking {
  const { batchSize: B, maskTokenId, vocabSize } = options;
  const ratio = options.ratio ?? 0.15;
  const wholeWord = options.wholeWord ?? true;
  if (!(Number.isInteger(B) && B > 0 && tokenIds.length % B === 0)) {
    throw new ShapeMismatchError('maskTokens(tokenIds)', ['B·T'], [tokenIds.length], `batchSize ${B} must divide the length.`);
  }
  const T = tokenIds.length / B;
  for (const [name, array] of [
    ['attentionMask', attentionMask],
    ['wordIds', wordIds],
  ] as const) {
    if (array.length !== B * T) throw new ShapeMismatchError(`maskTokens(${name})`, [B, T], [array.length]);
  }
  if (!(ratio > 0 && ratio <= 1)) throw new InvalidConfigError('textMaskRatio', ratio, 'a ratio in (0, 1]');
  if (!(Number.isInteger(vocabSize) && vocabSize > 0)) throw new InvalidConfigError('vocabSize', vocabSize, 'a positive integer');
  const special = new Set(options.specialTokenIds);
  if (special.size >= vocabSize) throw new InvalidConfigError('specialTokenIds', options.specialTokenIds.length, `fewer than vocabSize (${vocabSize}) ids`);
  const randomToken = (): number => {
    let id = random.integer(vocabSize);
    while (special.has(id)) id = random.integer(vocabSize);
    return id;
  };

  const inputIds = Int32Array.from(tokenIds);
  const labels = new Int32Array(B * T).fill(ignoredLabel);
  for (let b = 0; b < B; b++) {
    // Group the eligible tokens of this sample into words, in order of first appearance.
    const words = new Map<number, number[]>();
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      const word = Number(wordIds[i]);
      if (Number(attentionMask[i]) === 0 || word < 0 || special.has(tokenIds[i]!)) continue;
      const key = wholeWord ? word : t;
      const tokens = words.get(key);
      if (tokens) tokens.push(i);
      else words.set(key, [i]);
    }
    const groups = [...words.values()];
    if (groups.length === 0) continue;
    const count = Math.max(1, Math.round(ratio * groups.length));
    for (let k = 0; k < count; k++) {
      // Partial Fisher-Yates: groups[k] becomes a uniformly drawn, not yet selected word.
      const j = k + random.integer(groups.length - k);
      const chosen = groups[j]!;
      groups[j] = groups[k]!;
      groups[k] = chosen;
      const draw = random.next();
      for (const i of chosen) {
        labels[i] = tokenIds[i]!;
        if (draw < 0.8) inputIds[i] = maskTokenId;
        else if (draw < 0.9) inputIds[i] = randomToken();
      }
    }
  }
  const positionList: number[] = [];
  for (let i = 0; i < labels.length; i++) if (labels[i] !== ignoredLabel) positionList.push(i);
  const positions = Int32Array.from(positionList);
  const targets = Int32Array.from(positionList, (i) => labels[i]!);
  return { inputIds, labels, positions, targets };
}
