import { InvalidConfigError } from '@umd/core';

import { randomFunction, type RandomSource } from '../image/random-source.js';

/**
 * Training-text augmentation: leaves out each sentence of `text` with probability `probability`, always keeping at
 * least one (when every sentence is drawn out, the one drawn last to go stays). A text of one sentence comes back
 * unchanged. Sentences end at `.`, `!` or `?` followed by white space; the kept ones are joined by one space, in
 * their order. Pure given `random`.
 *
 * @param probability in [0, 1)
 * @param random draws in [0, 1), one per sentence
 * @throws InvalidConfigError for a probability outside [0, 1)
 */
export function dropSentences(text: string, probability: number, random: RandomSource): string {
  if (!(probability >= 0 && probability < 1)) throw new InvalidConfigError('sentenceDrop', probability, 'a probability in [0, 1)');
  const sentences = text
    .trim()
    .split(/(?<=[.!?])\s+/)
    .filter((sentence) => sentence.length > 0);
  if (sentences.length < 2 || probability === 0) return text;
  const next = randomFunction(random);
  const draws = sentences.map(() => next());
  const kept = sentences.filter((_, index) => draws[index]! >= probability);
  if (kept.length > 0) return kept.join(' ');
  const last = draws.reduce((best, draw, index) => (draw > draws[best]! ? index : best), 0); // the highest draw: last to go
  return sentences[last]!;
}
