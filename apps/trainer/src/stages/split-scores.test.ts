import { classificationMetrics } from '@umd/evaluation';
import type { TaskMetrics, TaskPrediction } from '@umd/tasks';
import { describe, expect, it } from 'vitest';

import { metricsWithIntervals } from './split-scores.js';

const vqaPrediction = (correct: boolean, answerType: 'open' | 'closed'): TaskPrediction => ({
  kind: 'vqa',
  id: 'q',
  prediction: correct ? 'yes' : 'no',
  answer: 'yes',
  answerType,
  correct,
});
const accuracy = (correct: number, total: number) => ({ correct, total, accuracy: correct / total });

describe('metricsWithIntervals', () => {
  it('brackets VQA accuracies with bootstrap intervals over the questions of each answer type', () => {
    const predictions = [
      ...Array.from({ length: 30 }, (_, i) => vqaPrediction(i < 24, 'closed')), // 80%
      ...Array.from({ length: 20 }, (_, i) => vqaPrediction(i < 5, 'open')), // 25%
    ];
    const metrics: TaskMetrics = { kind: 'vqa', overall: accuracy(29, 50), open: accuracy(5, 20), closed: accuracy(24, 30), outsideVocabulary: 0 };
    const scored = metricsWithIntervals({ kind: 'vqa', answers: ['yes', 'no'] }, metrics, predictions, 500, 0);
    expect(Object.keys(scored)).toEqual(['overall', 'open', 'closed']);
    expect(scored['closed']!.value).toBe(0.8);
    expect(scored['closed']!.low!).toBeLessThan(0.8);
    expect(scored['closed']!.high!).toBeGreaterThan(0.8);
    expect(scored['open']!.high!).toBeLessThan(scored['closed']!.low!); // 25% vs 80% on 20 and 30 questions: far apart
    expect(metricsWithIntervals({ kind: 'vqa', answers: ['yes', 'no'] }, metrics, predictions, 0, 0)['overall']).toEqual({ value: 0.58 });
  });

  it('resamples samples for the macro-F1 interval, whose estimate is the metric itself', () => {
    const labels = ['a', 'b', 'c'];
    const truth = Array.from({ length: 60 }, (_, i) => i % 3);
    const guess = truth.map((label, i) => (i % 5 === 0 ? (label + 1) % 3 : label));
    const predictions: TaskPrediction[] = truth.map((label, i) => ({
      kind: 'classification',
      id: String(i),
      label: labels[label]!,
      prediction: labels[guess[i]!]!,
      correct: label === guess[i],
    }));
    const computed = classificationMetrics(guess, truth, 3);
    const metrics: TaskMetrics = { kind: 'classification', ...computed, outsideLabels: 0 };
    const scored = metricsWithIntervals({ kind: 'classification', labels }, metrics, predictions, 300, 1);
    expect(scored['accuracy']!.value).toBeCloseTo(0.8, 10);
    expect(scored['macroF1']!.value).toBe(computed.macroF1);
    expect(scored['macroF1']!.low!).toBeLessThanOrEqual(computed.macroF1);
    expect(scored['macroF1']!.high!).toBeGreaterThanOrEqual(computed.macroF1);
    expect(scored['macroF1']!.high! - scored['macroF1']!.low!).toBeGreaterThan(0);
  });
});
