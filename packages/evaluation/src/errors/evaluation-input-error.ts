const umdMarker = Symbol.for('umd.error');
const evaluationMarker = Symbol.for('umd.evaluation.error');

/**
 * An argument of an `@umd/evaluation` function is invalid: wrong length, out of range, not finite, wrong type.
 * It extends `RangeError` (so `instanceof RangeError` and `instanceof Error` hold), names the argument (down to the
 * element: `targets[3]`), and states what was expected and what was received. It carries the same
 * `Symbol.for('umd.error')` marker as `@umd/core`'s `UmdError`, so `UmdError.isInstance(error)` recognises it
 * without this package depending on `@umd/core`; `EvaluationInputError.isInstance` works across duplicate installs.
 */
export class EvaluationInputError extends RangeError {
  /**
   * @param argument the argument (or element) at fault, e.g. `'numClasses'`, `'records[2].answerType'`
   * @param expected what is allowed, in words (`'an integer ≥ 1'`)
   * @param actual the value received
   */
  constructor(
    readonly argument: string,
    readonly expected: string,
    readonly actual: unknown,
    options: { readonly hint?: string; readonly cause?: unknown } = {},
  ) {
    super(
      `${argument}: expected ${expected}, got ${describeValue(actual)}.` + (options.hint === undefined ? '' : ` ${options.hint}`),
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'UMD_EvaluationInputError';
    Object.defineProperty(this, umdMarker, { value: true });
    Object.defineProperty(this, evaluationMarker, { value: true });
  }

  /** True for an `EvaluationInputError` from any copy of this package. */
  static isInstance(error: unknown): error is EvaluationInputError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[evaluationMarker] === true;
  }
}

/** A short rendering of a value for error messages (numbers as `String`, so NaN stays `NaN`). */
function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (ArrayBuffer.isView(value) || Array.isArray(value)) return `an array of length ${(value as ArrayLike<unknown>).length}`;
  try {
    const json = JSON.stringify(value);
    return json === undefined ? String(value) : json.length > 80 ? `${json.slice(0, 77)}...` : json;
  } catch {
    return String(value);
  }
}
