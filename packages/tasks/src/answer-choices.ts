/**
 * Answer choices of a closed VQA question that offers them ("Is the lesion on the left or right side?", "Is this a CT
 * or an MRI?"): the question names its possible answers, so the answer is taken among the answer classes it names. On
 * VQA-RAD's training questions with " or " that name at least two classes, 74 of 80 answers are one of the named
 * classes (3 are yes / no); the tuned models answer such questions "no" or with an organ often enough to lose the
 * points. Plain data; no tensors, no fitting.
 */

/** Words of a question or an answer as this rule compares them: lower-cased runs of letters and digits. */
function wordsOf(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

/**
 * Whether `word` appears in `questionWords`: exactly, or, for words of 5 letters or more, by their first 5 letters
 * (`asymmetric` in "symmetric or asymmetrical", `enlarged` in "normal or enlarged").
 */
function named(word: string, questionWords: ReadonlySet<string>): boolean {
  if (questionWords.has(word)) return true;
  if (word.length < 5) return false;
  const stem = word.slice(0, 5);
  for (const candidate of questionWords) if (candidate.length >= 5 && candidate.startsWith(stem)) return true;
  return false;
}

/**
 * The answer classes a question offers: for a question with the word "or", every class other than yes / no whose words
 * all appear in the question ({@link named}); none when fewer than two classes qualify (a question naming one class
 * offers no choice).
 *
 * @param classes the task's answer classes, in class order
 * @returns class indices, ascending; empty when the question offers no choice
 */
export function offeredAnswerClasses(question: string, classes: readonly string[]): number[] {
  const questionWords = new Set(wordsOf(question));
  if (!questionWords.has('or')) return [];
  const offered: number[] = [];
  classes.forEach((answer, index) => {
    const words = wordsOf(answer);
    if (words.length === 0 || answer === 'yes' || answer === 'no') return;
    if (words.every((word) => named(word, questionWords))) offered.push(index);
  });
  return offered.length >= 2 ? offered : [];
}

/**
 * The argmax of one row of `logits` [B, K] among `offered` classes.
 *
 * @param logits row-major [B, K]
 * @param offered class indices from {@link offeredAnswerClasses}, at least one
 */
export function offeredArgMax(logits: Float32Array, numClasses: number, row: number, offered: readonly number[]): number {
  let best = offered[0]!;
  for (const k of offered) if (logits[row * numClasses + k]! > logits[row * numClasses + best]!) best = k;
  return best;
}
