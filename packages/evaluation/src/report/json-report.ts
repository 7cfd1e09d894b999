import { checkInteger } from '../errors/check-input.js';

/** Options of {@link toJsonReport}. */
export interface JsonReportOptions {
  /** spaces of indentation (default 2; 0 for one line) */
  readonly indent?: number;
}

/**
 * JSON text of a results object (any of this package's results, or a report you assemble from them). Every result
 * here is plain data; this only makes the edge cases explicit:
 *
 * - NaN and ±Infinity become `null` (JSON has no such numbers; an accuracy over zero questions is NaN → `null`);
 * - typed arrays become plain arrays (`JSON.stringify` would write `{"0": …}`);
 * - `undefined` properties are dropped, as `JSON.stringify` does. Ends with a newline.
 *
 * Read it back with `JSON.parse`; a `null` metric means "not defined" (e.g. no sample of that kind).
 *
 * @throws {EvaluationInputError} `indent` is not an integer in [0, 10]
 */
export function toJsonReport(value: unknown, options: JsonReportOptions = {}): string {
  const indent = options.indent ?? 2;
  checkInteger(indent, 'options.indent', 0, 10);
  const text = JSON.stringify(
    value,
    (_key, entry: unknown) => {
      if (typeof entry === 'number' && !Number.isFinite(entry)) return null;
      if (ArrayBuffer.isView(entry) && !(entry instanceof DataView))
        return Array.from(entry as unknown as ArrayLike<number>, (n) => (Number.isFinite(Number(n)) ? Number(n) : null));
      return entry;
    },
    indent === 0 ? undefined : indent,
  );
  return `${text ?? 'null'}\n`;
}
