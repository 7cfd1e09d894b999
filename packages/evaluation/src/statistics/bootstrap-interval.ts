import { checkFinite, checkInteger, checkLevel, checkNumbers } from '../errors/check-input.js';
import { EvaluationInputError } from '../errors/evaluation-input-error.js';
import type { Interval } from './interval.js';
import { mean, sortedQuantile } from './quantile.js';
import { mulberry32 } from './seeded-random.js';

/** Options of {@link bootstrapInterval}. */
export interface BootstrapOptions {
  /** number of bootstrap resamples B (default 1000) */
  readonly resamples?: number;
  /** confidence level (default 0.95) */
  readonly level?: number;
  /** PRNG seed (default 0); the same seed gives the same interval */
  readonly seed?: number;
  /** the statistic of a sample (default: the mean); its argument is a buffer reused between calls (copy it to keep it) */
  readonly statistic?: (sample: Float64Array) => number;
}

/**
 * Percentile bootstrap interval of a statistic (Efron): draw B samples of size n with replacement from `values`,
 * compute the statistic on each, and take the (1 − level)/2 and (1 + level)/2 quantiles (type 7) of the B results.
 * `estimate` is the statistic on `values` itself. Resampling uses a seeded mulberry32 PRNG, so results are
 * reproducible. With n = 1 every resample is the same value and low = high = estimate.
 *
 * Typical use: per-question 0/1 correctness → an interval on accuracy.
 *
 * @param values [n] per-sample values, n ≥ 1, finite
 * @throws {EvaluationInputError} empty or non-finite `values`, bad `resamples`/`level`/`seed`, or a statistic returning NaN
 */
export function bootstrapInterval(values: ArrayLike<number>, options: BootstrapOptions = {}): Interval {
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  const seed = options.seed ?? 0;
  const statistic = options.statistic ?? mean;
  checkNumbers(values, 'values');
  if (values.length === 0) throw new EvaluationInputError('values.length', 'at least 1 value', 0);
  checkInteger(resamples, 'options.resamples', 1);
  checkLevel(level, 'options.level');
  checkFinite(seed, 'options.seed');
  if (typeof statistic !== 'function') throw new EvaluationInputError('options.statistic', 'a function (sample: Float64Array) => number', statistic);

  const n = values.length;
  const estimate = checkedStatistic(statistic, Float64Array.from(values));
  const random = mulberry32(seed);
  const results = new Float64Array(resamples);
  const sample = new Float64Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) sample[i] = values[Math.floor(random() * n)] as number;
    results[r] = checkedStatistic(statistic, sample);
  }
  results.sort();
  const alpha = 1 - level;
  return { estimate, low: sortedQuantile(results, alpha / 2), high: sortedQuantile(results, 1 - alpha / 2), level };
}

function checkedStatistic(statistic: (sample: Float64Array) => number, sample: Float64Array): number {
  const value = statistic(sample);
  if (typeof value !== 'number' || Number.isNaN(value)) throw new EvaluationInputError('options.statistic(sample)', 'a number (not NaN)', value);
  return value;
}
