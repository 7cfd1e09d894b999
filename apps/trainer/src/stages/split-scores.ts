import { bootstrapInterval, classificationMetrics } from '@umd/evaluation';
import type { TaskMetrics, TaskPrediction, TaskSpec } from '@umd/tasks';

import type { EvaluationSplit } from '../config/pipeline-config-schema.js';
import type { Floor } from './text-only-floor.js';

/** A metric in [0, 1] with its 95% percentile-bootstrap interval (absent with 0 resamples or where none is computed). */
export interface MetricValue {
  readonly value: number;
  readonly low?: number;
  readonly high?: number;
}

/** The scores of one evaluated split. The first entry of `metrics` is the headline metric. */
export interface SplitScores {
  readonly split: EvaluationSplit;
  readonly samples: number;
  /** Name → value, headline first: `overall`, `open`, `closed` (VQA); `accuracy`, `macroF1`; `meanRecall`, `t2i.r1`, … */
  readonly metrics: Readonly<Record<string, MetricValue>>;
  readonly floor: Floor;
  /** Classification: `matrix[true][predicted]` over `labels`. */
  readonly confusion?: { readonly labels: readonly string[]; readonly matrix: readonly (readonly number[])[] };
  /** `evaluate/predictions-<split>.jsonl`, relative to the output folder. */
  readonly predictions: string;
}

/**
 * Adds 95% percentile-bootstrap intervals (seeded, `resamples` draws over the split's samples) to an evaluation's
 * metrics: accuracies from per-question correctness (VQA overall / open / closed, classification accuracy),
 * macro-F1 by resampling samples, text→image Recall@k from each caption's rank. The point values are
 * `evaluateTask`'s; image→text recalls and mean recall get no interval (one query per image, not per sample).
 */
export function metricsWithIntervals(
  task: TaskSpec,
  metrics: TaskMetrics,
  predictions: readonly TaskPrediction[],
  resamples: number,
  seed: number,
): Record<string, MetricValue> {
  const interval = (values: readonly number[], statistic?: (sample: Float64Array) => number): Pick<MetricValue, 'low' | 'high'> => {
    if (resamples === 0 || values.length === 0) return {};
    const { low, high } = bootstrapInterval(values, { resamples, seed, ...(statistic ? { statistic } : {}) });
    return { low, high };
  };
  const indicator = (flags: readonly boolean[]): number[] => flags.map((flag) => (flag ? 1 : 0));
  if (metrics.kind === 'vqa') {
    const vqa = predictions.filter((prediction) => prediction.kind === 'vqa');
    const of = (type?: 'open' | 'closed') =>
      indicator(vqa.filter((prediction) => type === undefined || prediction.answerType === type).map((prediction) => prediction.correct));
    return {
      overall: { value: metrics.overall.accuracy, ...interval(of()) },
      open: { value: metrics.open.accuracy, ...interval(of('open')) },
      closed: { value: metrics.closed.accuracy, ...interval(of('closed')) },
    };
  }
  if (metrics.kind === 'classification') {
    const rows = predictions.filter((prediction) => prediction.kind === 'classification');
    const labels = task.kind === 'classification' ? task.labels : [];
    const index = new Map(labels.map((label, i) => [label, i]));
    const inside = rows.filter((row) => index.has(row.label));
    const predicted = inside.map((row) => index.get(row.prediction) ?? 0);
    const targets = inside.map((row) => index.get(row.label)!);
    const macroF1 = (sample: Float64Array): number => {
      const picked = Array.from(sample, (i) => i);
      return classificationMetrics(
        picked.map((i) => predicted[i]!),
        picked.map((i) => targets[i]!),
        labels.length,
      ).macroF1;
    };
    return {
      accuracy: { value: metrics.accuracy, ...interval(indicator(rows.map((row) => row.correct))) },
      macroF1: {
        value: metrics.macroF1,
        ...(labels.length > 0
          ? interval(
              inside.map((_, i) => i),
              macroF1,
            )
          : {}),
      },
    };
  }
  const ranks = predictions.flatMap((prediction) => (prediction.kind === 'retrieval' ? [prediction.rank] : []));
  const recall = (k: number) => indicator(ranks.map((rank) => rank <= k));
  return {
    meanRecall: { value: metrics.meanRecall },
    't2i.r1': { value: metrics.textToImage.r1, ...interval(recall(1)) },
    't2i.r5': { value: metrics.textToImage.r5, ...interval(recall(5)) },
    't2i.r10': { value: metrics.textToImage.r10, ...interval(recall(10)) },
    'i2t.r1': { value: metrics.imageToText.r1 },
    'i2t.r5': { value: metrics.imageToText.r5 },
    'i2t.r10': { value: metrics.imageToText.r10 },
  };
}
