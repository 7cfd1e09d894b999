import { formatInterval } from '@umd/evaluation';

import type { EvaluateResult } from '../stages/run-evaluate-stage.js';
import type { MetricValue, SplitScores } from '../stages/split-scores.js';

/** One row of the headline table: a split's headline metric with its interval, and the split's floor. */
export interface HeadlineRow {
  readonly split: string;
  readonly metric: string;
  readonly value: number;
  readonly low?: number;
  readonly high?: number;
  readonly floorName: string;
  readonly floor: number;
}

/** The headline metric of each evaluated split (the first of its metrics: overall accuracy, accuracy, mean recall). */
export function headlineRows(evaluate: EvaluateResult | undefined): HeadlineRow[] {
  return (evaluate?.splits ?? []).flatMap((split) => {
    const entry = Object.entries(split.metrics)[0];
    if (!entry) return [];
    const [metric, value] = entry;
    return [{ split: split.split, metric, ...value, floorName: split.floor.name, floor: split.floor.value }];
  });
}

/** In percent: `62.3 [58.1, 66.4]` (estimate and 95% interval) or `62.3`. */
export function formatPercent(value: MetricValue): string {
  if (value.low === undefined || value.high === undefined) return (100 * value.value).toFixed(1);
  return formatInterval({ estimate: value.value, low: value.low, high: value.high }, 1, { scale: 100, style: 'bracket' });
}

/** Console lines: `test overall: 62.3% (95% CI 58.1–66.4); floor 47.0% (question-only majority …)`. */
export function headlineLines(rows: readonly HeadlineRow[]): string[] {
  return rows.map((row) => {
    const interval = row.low === undefined || row.high === undefined ? '' : ` (95% CI ${(100 * row.low).toFixed(1)}–${(100 * row.high).toFixed(1)})`;
    return `${row.split} ${row.metric}: ${(100 * row.value).toFixed(1)}%${interval}; floor ${(100 * row.floor).toFixed(1)}% (${row.floorName})`;
  });
}

/**
 * The floor the tuned model does not clear on the last evaluated split (test when scored, else validate), described for
 * a message; undefined when the whole 95% interval lies above it (the estimate, when there is no interval) or nothing
 * was evaluated. An estimate above the floor with an interval reaching below it has not shown that the model uses the
 * image: another seed or machine could land under it.
 */
export function floorFailure(rows: readonly HeadlineRow[]): string | undefined {
  const row = rows.find((entry) => entry.split === 'test') ?? rows.at(-1);
  if (!row || (row.low ?? row.value) > row.floor) return undefined;
  const interval = row.low === undefined || row.high === undefined ? '' : `, 95% CI ${(100 * row.low).toFixed(1)}–${(100 * row.high).toFixed(1)}`;
  return `${row.floorName} on ${row.split} (${(100 * row.value).toFixed(1)}%${interval}; floor ${(100 * row.floor).toFixed(1)}%)`;
}

/** Every metric of a split as `name value` cells (for the report's detail table). */
export function metricCells(split: SplitScores): string[] {
  return Object.entries(split.metrics).map(([name, value]) => `${name} ${formatPercent(value)}`);
}
