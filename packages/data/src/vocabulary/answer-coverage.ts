import type { AnswerType, VqaSample } from '../sample.js';
import type { AnswerVocabulary } from './answer-vocabulary.js';

/** How many questions of a split have an answer the vocabulary cannot predict. */
export interface AnswerCoverage {
  readonly questions: number;
  /** Questions whose answer is not in the vocabulary. */
  readonly outside: number;
  /** `outside / questions` (0 for an empty split). */
  readonly outsideRate: number;
  /** `outside`, by the questions' answer type. */
  readonly outsideByType: Readonly<Record<AnswerType, number>>;
  /** The distinct answers outside the vocabulary, most frequent first, with their question counts. */
  readonly outsideAnswers: readonly { readonly answer: string; readonly count: number }[];
}

/** Measures how well `vocabulary` covers the answers of `samples` (typically an evaluation split). */
export function measureAnswerCoverage(vocabulary: AnswerVocabulary, samples: readonly VqaSample[]): AnswerCoverage {
  const outsideCounts = new Map<string, number>();
  const outsideByType: Record<AnswerType, number> = { open: 0, closed: 0 };
  let outside = 0;
  for (const sample of samples) {
    if (vocabulary.index.has(sample.answer)) continue;
    outside++;
    outsideByType[sample.answerType]++;
    outsideCounts.set(sample.answer, (outsideCounts.get(sample.answer) ?? 0) + 1);
  }
  const outsideAnswers = [...outsideCounts]
    .sort(([a, countA], [b, countB]) => countB - countA || (a < b ? -1 : a > b ? 1 : 0))
    .map(([answer, count]) => ({ answer, count }));
  return {
    questions: samples.length,
    outside,
    outsideRate: samples.length === 0 ? 0 : outside / samples.length,
    outsideByType,
    outsideAnswers,
  };
}
