const umdMarker = Symbol.for('umd.error');
const gmCoordMarker = Symbol.for('umd.gm-coord.error');

/**
 * Base class of every error `@umd/gm-coord` throws. It carries the same `Symbol.for('umd.error')` marker as
 * `@umd/core`'s `UmdError`, so `UmdError.isInstance(error)` recognises it without this package depending on
 * `@umd/core`. `GmCoordError.isInstance(error)` checks a package-specific marker, so both work across duplicate
 * copies of the package (neither relies on the prototype chain).
 */
export class GmCoordError extends Error {
  constructor({ name, message, cause }: { name: string; message: string; cause?: unknown }) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = name;
    Object.defineProperty(this, umdMarker, { value: true });
    Object.defineProperty(this, gmCoordMarker, { value: true });
  }

  static isInstance(error: unknown): error is GmCoordError {
    return typeof error === 'object' && error !== null && gmCoordMarker in error && (error as Record<symbol, unknown>)[gmCoordMarker] === true;
  }
}

/** JSON-ish rendering of a value for error messages. */
export function formatValue(value: unknown): string {
  if (typeof value === 'number') return String(value); // JSON.stringify(NaN) is 'null'
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
