import { EvaluationInputError } from './evaluation-input-error.js';

// Argument checks shared by the metrics. Each throws EvaluationInputError naming the argument (and element).

/** `value` is an array or typed array (anything with an integer `length`). */
export function checkArrayLike(value: unknown, argument: string): asserts value is ArrayLike<unknown> {
  const length = (value as { length?: unknown } | null | undefined)?.length;
  if (value === null || typeof value !== 'object' || typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
    throw new EvaluationInputError(argument, 'an array or typed array', value);
  }
}

/** Every element of `values` is a number that is not NaN (±Infinity allowed when `allowInfinite`). */
export function checkNumbers(values: unknown, argument: string, options: { readonly allowInfinite?: boolean } = {}): asserts values is ArrayLike<number> {
  checkArrayLike(values, argument);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const ok = typeof value === 'number' && (options.allowInfinite === true ? !Number.isNaN(value) : Number.isFinite(value));
    if (!ok) throw new EvaluationInputError(`${argument}[${i}]`, options.allowInfinite === true ? 'a number (not NaN)' : 'a finite number', value);
  }
}

/** An integer in [min, max]. */
export function checkInteger(value: unknown, argument: string, min: number, max = Number.MAX_SAFE_INTEGER): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer in [${min}, ${max}]`;
    throw new EvaluationInputError(argument, range, value);
  }
}

/** A confidence level strictly between 0 and 1. */
export function checkLevel(value: unknown, argument = 'level'): asserts value is number {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) throw new EvaluationInputError(argument, 'a number in (0, 1), e.g. 0.95', value);
}

/** A finite number (used for seeds). */
export function checkFinite(value: unknown, argument: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new EvaluationInputError(argument, 'a finite number', value);
}

/** `actual === expected` for two lengths. */
export function checkLength(actual: number, expected: number, argument: string, of: string): void {
  if (actual !== expected) throw new EvaluationInputError(`${argument}.length`, `${expected} (${of})`, actual);
}
