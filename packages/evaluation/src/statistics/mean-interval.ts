import { checkLevel, checkNumbers } from '../errors/check-input.js';
import { EvaluationInputError } from '../errors/evaluation-input-error.js';
import type { Interval } from './interval.js';
import { studentTQuantile } from './student-t.js';

/** Result of {@link meanInterval}. */
export interface MeanInterval extends Interval {
  /** number of values (seeds) */
  readonly n: number;
  /** t_{(1+level)/2, n−1} · s / √n; 0 when n = 1 */
  readonly halfWidth: number;
  /** sample standard deviation s (n − 1 denominator); NaN when n = 1 */
  readonly standardDeviation: number;
  /** true when n = 1: no spread can be estimated, so low = high = mean (print it as "n = 1", not "± 0") */
  readonly singleValue: boolean;
}

/**
 * Mean with a Student-t confidence interval, for "mean ± CI over seeds" table cells:
 * x̄ ± t_{(1+level)/2, n−1} · s / √n, with s the sample standard deviation. With n = 1 the interval collapses to the
 * value and `singleValue` is set.
 *
 * Example: [1, 2, 3] at 0.95 → mean 2, s = 1, t_{0.975, 2} = 4.3027, half-width 2.484.
 *
 * @param values [n] one value per seed (or run), n ≥ 1, finite
 * @param level confidence level (default 0.95)
 * @throws {EvaluationInputError} empty or non-finite `values`, `level` outside (0, 1)
 */
export function meanInterval(values: readonly number[], level = 0.95): MeanInterval {
  checkNumbers(values, 'values');
  checkLevel(level);
  const n = values.length;
  if (n === 0) throw new EvaluationInputError('values.length', 'at least 1 value', 0);
  const mean = values.reduce((sum, value) => sum + value, 0) / n;
  if (n === 1) return { estimate: mean, low: mean, high: mean, level, n, halfWidth: 0, standardDeviation: Number.NaN, singleValue: true };
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (n - 1);
  const standardDeviation = Math.sqrt(variance);
  const halfWidth = studentTQuantile((1 + level) / 2, n - 1) * (standardDeviation / Math.sqrt(n));
  return { estimate: mean, low: mean - halfWidth, high: mean + halfWidth, level, n, halfWidth, standardDeviation, singleValue: false };
}
