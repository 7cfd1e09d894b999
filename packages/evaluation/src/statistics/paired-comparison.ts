import { checkFinite, checkInteger, checkLength, checkLevel, checkNumbers } from '../errors/check-input.js';
import { EvaluationInputError } from '../errors/evaluation-input-error.js';
import { sortedQuantile } from './quantile.js';
import { mulberry32 } from './seeded-random.js';

/** Options of {@link pairedComparison}. */
export interface PairedComparisonOptions {
  /** number of bootstrap resamples and of sign-flip permutations (default 10000; the p-value resolution is 1/(R+1)) */
  readonly resamples?: number;
  /** PRNG seed (default 0) */
  readonly seed?: number;
  /** confidence level of the interval (default 0.95) */
  readonly level?: number;
}

/** Result of {@link pairedComparison}. */
export interface PairedComparison {
  /** mean of b − a */
  readonly difference: number;
  /** percentile-bootstrap interval of the mean difference */
  readonly low: number;
  readonly high: number;
  /** two-sided sign-flip permutation p-value of H0 "no difference" */
  readonly pValue: number;
  /** number of pairs */
  readonly n: number;
  readonly level: number;
}

/**
 * Paired comparison of two runs scored on the same samples (e.g. per-question 0/1 correctness of runs a and b).
 * With d_i = b_i − a_i:
 *
 * - `difference` = mean(d) (positive: b is better when higher is better);
 * - `low`/`high`: percentile bootstrap of mean(d), resampling pairs (not a and b separately, which would ignore the
 *   pairing);
 * - `pValue`: two-sided **sign-flip permutation test** (H0: each d_i is symmetric about 0, i.e. a and b are
 *   exchangeable per sample). Each of R permutations multiplies every d_i by a random ±1;
 *   p = (1 + #{|Σ±d_i| ≥ |Σd_i|}) / (R + 1), the add-one estimate that is never 0. For 0/1 scores this is a Monte-Carlo
 *   version of McNemar's exact test: only the discordant pairs matter.
 *
 * Bootstrap and permutations draw from two seeded mulberry32 streams (seed and seed + 1).
 *
 * @param a [n] per-sample scores of the reference run
 * @param b [n] per-sample scores of the compared run, same samples in the same order
 * @throws {EvaluationInputError} lengths differ, n = 0, non-finite scores, bad `resamples`/`seed`/`level`
 */
export function pairedComparison(a: ArrayLike<number>, b: ArrayLike<number>, options: PairedComparisonOptions = {}): PairedComparison {
  const resamples = options.resamples ?? 10_000;
  const seed = options.seed ?? 0;
  const level = options.level ?? 0.95;
  checkNumbers(a, 'a');
  checkNumbers(b, 'b');
  checkLength(b.length, a.length, 'b', 'one score per sample of a');
  const n = a.length;
  if (n === 0) throw new EvaluationInputError('a.length', 'at least 1 pair', 0);
  checkInteger(resamples, 'options.resamples', 1);
  checkFinite(seed, 'options.seed');
  checkLevel(level, 'options.level');

  const differences = new Float64Array(n);
  let observedSum = 0;
  for (let i = 0; i < n; i++) {
    differences[i] = (b[i] as number) - (a[i] as number);
    observedSum += differences[i] as number;
  }

  const bootstrap = mulberry32(seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += differences[Math.floor(bootstrap() * n)] as number;
    means[r] = sum / n;
  }
  means.sort();

  // Float sums of the same magnitudes in another order differ by rounding only: compare with a tolerance.
  const observed = Math.abs(observedSum);
  const tolerance = 1e-9 * differences.reduce((sum, d) => sum + Math.abs(d), 0);
  const nonZero = differences.filter((d) => d !== 0); // zeros never change a signed sum: skip them
  const flips = mulberry32(seed + 1);
  let extreme = 0;
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < nonZero.length; i++) sum += flips() < 0.5 ? (nonZero[i] as number) : -(nonZero[i] as number);
    if (Math.abs(sum) >= observed - tolerance) extreme += 1;
  }

  const alpha = 1 - level;
  return {
    difference: observedSum / n,
    low: sortedQuantile(means, alpha / 2),
    high: sortedQuantile(means, 1 - alpha / 2),
    pValue: (1 + extreme) / (resamples + 1),
    n,
    level,
  };
}
