import { checkArrayLike, checkInteger } from '../errors/check-input.js';
import { EvaluationInputError } from '../errors/evaluation-input-error.js';

/**
 * Trailing moving average: out[i] = mean of the finite values among values[max(0, i − window + 1) … i]. The first
 * window − 1 outputs average the values seen so far (no lag padding), NaN/±Infinity entries are left out of the
 * mean, and an output whose window holds no finite value is NaN. Same length as the input. O(n).
 *
 * @param window ≥ 1 values per mean (1 returns a copy)
 * @throws {EvaluationInputError} `values` not an array of numbers, `window` not an integer ≥ 1
 */
export function movingAverage(values: ArrayLike<number>, window: number): number[] {
  checkArrayLike(values, 'values');
  checkInteger(window, 'window', 1);
  const out = new Array<number>(values.length);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== 'number') throw new EvaluationInputError(`values[${i}]`, 'a number', value);
    if (Number.isFinite(value)) {
      sum += value;
      count += 1;
    }
    if (i >= window) {
      const leaving = values[i - window] as number;
      if (Number.isFinite(leaving)) {
        sum -= leaving;
        count -= 1;
      }
    }
    if (count === 0) sum = 0; // drop rounding residue
    out[i] = count === 0 ? Number.NaN : sum / count;
  }
  return out;
}
