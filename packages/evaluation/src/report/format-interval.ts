import { checkInteger } from '../errors/check-input.js';
import { EvaluationInputError } from '../errors/evaluation-input-error.js';
import type { Interval } from '../statistics/interval.js';
import type { MeanInterval } from '../statistics/mean-interval.js';
import { formatNumber } from './format-number.js';

/** Options of {@link formatInterval}. */
export interface FormatIntervalOptions {
  /** multiply every number first, e.g. 100 to print accuracies in [0, 1] as percentages (default 1) */
  readonly scale?: number;
  /**
   * `'auto'` (default): "estimate ± half-width" when the interval is symmetric (a t-interval), otherwise
   * "estimate [low, high]" (a percentile bootstrap); `'plus-minus'` always ± (half the interval's width);
   * `'bracket'` always [low, high].
   */
  readonly style?: 'auto' | 'plus-minus' | 'bracket';
}

/**
 * One table cell for an interval: `"62.3 ± 1.8"` (symmetric) or `"62.3 [60.1, 64.0]"` (asymmetric). A
 * {@link meanInterval} of a single value prints `"62.3 (n = 1)"`, so a missing spread never reads as "± 0.0".
 *
 * @param interval any {@link Interval} (only estimate, low, high are needed), or a {@link MeanInterval}
 * @param digits decimals (default 1)
 * @throws {EvaluationInputError} `digits` not an integer in [0, 20], `scale` not finite, unknown `style`
 */
export function formatInterval(
  interval: Pick<Interval, 'estimate' | 'low' | 'high'> & Partial<Pick<MeanInterval, 'level' | 'n' | 'halfWidth'>>,
  digits = 1,
  options: FormatIntervalOptions = {},
): string {
  checkInteger(digits, 'digits', 0, 20);
  const scale = options.scale ?? 1;
  const style = options.style ?? 'auto';
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new EvaluationInputError('options.scale', 'a finite number, e.g. 100', scale);
  if (style !== 'auto' && style !== 'plus-minus' && style !== 'bracket')
    throw new EvaluationInputError('options.style', "'auto', 'plus-minus' or 'bracket'", style);
  const estimate = formatNumber(interval.estimate * scale, digits);
  if (interval.n === 1) return `${estimate} (n = 1)`;
  const low = interval.low * scale;
  const high = interval.high * scale;
  const halfWidth = interval.halfWidth !== undefined ? Math.abs(interval.halfWidth * scale) : Math.abs(high - low) / 2;
  const lowerArm = interval.estimate * scale - low;
  const upperArm = high - interval.estimate * scale;
  const symmetric = Math.abs(lowerArm - upperArm) <= Math.max(1e-9, 0.5 * 10 ** -digits);
  if (style === 'plus-minus' || (style === 'auto' && symmetric)) return `${estimate} ± ${formatNumber(halfWidth, digits)}`;
  return `${estimate} [${formatNumber(low, digits)}, ${formatNumber(high, digits)}]`;
}
