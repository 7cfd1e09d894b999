const marker = 'umd.error';
const symbol = Symbol.for(marker);

/**
 * Base class of every error thrown by `@umd/*` packages. `UmdError.isInstance(e)` works across duplicate copies of
 * the package (it checks a global symbol rather than the prototype chain).
 */
export class UmdError extends Error {
  constructor({ name, message, cause }: { name: string; message: string; cause?: unknown }) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = name;
    Object.defineProperty(this, symbol, { value: true });
  }

  static isInstance(error: unknown): error is UmdError {
    return typeof error === 'object' && error !== null && symbol in error && (error as Record<symbol, unknown>)[symbol] === true;
  }
}
