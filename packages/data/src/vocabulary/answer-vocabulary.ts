import { InvalidConfigError } from '@umd/core';

import type { VqaSample } from '../sample.js';

/**
 * Which splits the answer vocabulary (the classifier's label set) is built from. `train` (default): the training
 * split only; evaluation answers outside it can never be predicted and are counted by `measureAnswerCoverage`. `all`:
 * every split, as M3AE does (its `make_arrow_vqa` collects answers from train, val and test), which makes every
 * evaluation answer a class but lets the label set see the test split.
 */
export type AnswerVocabularySource = 'train' | 'all';

export interface AnswerVocabularyOptions {
  /** Default `'train'`. */
  readonly source?: AnswerVocabularySource;
  /** The training split's name. Default `'train'`. */
  readonly trainSplit?: string;
}

/** The answer classes of a VQA dataset: normalised answers, most frequent first (ties alphabetical). */
export interface AnswerVocabulary {
  readonly source: AnswerVocabularySource;
  /** The splits the answers were collected from. */
  readonly builtFrom: readonly string[];
  /** Class id -> answer. */
  readonly answers: readonly string[];
  /** Class id -> number of questions with that answer in `builtFrom`. */
  readonly counts: readonly number[];
  /** Answer -> class id. */
  readonly index: ReadonlyMap<string, number>;
}

/** Builds the answer vocabulary of a loaded VQA dataset (`load.splits`). Answers are already normalised by the adapters. */
export function buildAnswerVocabulary(splits: Readonly<Record<string, readonly VqaSample[]>>, options: AnswerVocabularyOptions = {}): AnswerVocabulary {
  const source = options.source ?? 'train';
  if (source !== 'train' && source !== 'all') throw new InvalidConfigError('source', source, "'train', 'all'");
  const trainSplit = options.trainSplit ?? 'train';
  const names = Object.keys(splits);
  if (source === 'train' && !(trainSplit in splits)) {
    throw new InvalidConfigError('trainSplit', trainSplit, `a split of the dataset (${names.join(', ') || 'none loaded'})`);
  }
  const builtFrom = source === 'train' ? [trainSplit] : names;
  const counts = new Map<string, number>();
  for (const split of builtFrom) {
    for (const sample of splits[split] ?? []) counts.set(sample.answer, (counts.get(sample.answer) ?? 0) + 1);
  }
  const ranked = [...counts].sort(([a, countA], [b, countB]) => countB - countA || (a < b ? -1 : a > b ? 1 : 0));
  return {
    source,
    builtFrom,
    answers: ranked.map(([answer]) => answer),
    counts: ranked.map(([, count]) => count),
    index: new Map(ranked.map(([answer], id) => [answer, id])),
  };
}
