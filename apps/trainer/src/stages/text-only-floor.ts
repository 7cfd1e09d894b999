import { mostFrequent } from '@umd/evaluation';
import type { TaskSpec } from '@umd/tasks';

import type { TaskSample } from '../datasets.js';

/** A score any model gets without looking at the image, printed beside the tuned model's. */
export interface Floor {
  readonly name: string;
  /** In [0, 1], on the same scale as the headline metric. */
  readonly value: number;
}

/**
 * The floor of a split, computed from the training split alone (no model, no image):
 * - VQA: **question-only majority**: each question gets the most frequent training answer to the same question
 *   (case and spaces folded), unseen questions the most frequent training answer overall. Phantom answers depend on
 *   the image, so this scores well under 100%; a model that does not beat it ignores the image.
 * - classification: the majority training label.
 * - retrieval: chance, the mean of R@1, R@5 and R@10 when ranking `n` candidates at random.
 */
export function textOnlyFloor(task: TaskSpec, train: readonly TaskSample[], samples: readonly TaskSample[]): Floor {
  if (task.kind === 'retrieval') {
    const n = new Set(samples.map((sample) => sample.imageId)).size;
    const chance = [1, 5, 10].reduce((sum, k) => sum + Math.min(k, n) / n, 0) / 3;
    return { name: 'chance (random ranking)', value: chance };
  }
  if (task.kind === 'classification') {
    const majority = mostFrequent(train.map((sample) => (sample.task === 'classification' ? sample.label : '')));
    const correct = samples.filter((sample) => sample.task === 'classification' && sample.label === majority).length;
    return { name: `majority class ('${majority}')`, value: ratio(correct, samples.length) };
  }
  const byQuestion = new Map<string, string[]>();
  for (const sample of train) {
    if (sample.task !== 'vqa') continue;
    const key = questionKey(sample.question);
    byQuestion.set(key, [...(byQuestion.get(key) ?? []), sample.answer]);
  }
  const overall = mostFrequent(train.flatMap((sample) => (sample.task === 'vqa' ? [sample.answer] : [])));
  const answers = new Map([...byQuestion].map(([key, list]) => [key, mostFrequent(list)]));
  const correct = samples.filter((sample) => sample.task === 'vqa' && (answers.get(questionKey(sample.question)) ?? overall) === sample.answer).length;
  return { name: 'question-only majority (most frequent training answer per question)', value: ratio(correct, samples.length) };
}

function questionKey(question: string): string {
  return question.toLowerCase().replace(/\s+/g, ' ').trim();
}

const ratio = (correct: number, total: number): number => (total === 0 ? Number.NaN : correct / total);
