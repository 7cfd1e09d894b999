const marker = Symbol.for('umd.error');

/** Why {@link loadNativeBlas} could not provide a BLAS. */
export type NativeBlasUnavailableReason = 'disabled' | 'not-built' | 'no-library';

/**
 * No native BLAS in this process: disabled, the addon was not built, or no BLAS library could be opened. Callers
 * (such as `@umd/core`'s `initRuntime`) catch it and keep their portable path. It carries the `umd.error` marker, so
 * `UmdError.isInstance` from `@umd/core` recognises it (this package sits below core and cannot import it).
 */
export class NativeBlasUnavailableError extends Error {
  constructor(
    readonly reason: NativeBlasUnavailableReason,
    /** Each library tried and why it failed to open (empty unless `reason` is `'no-library'`). */
    readonly attempts: readonly { library: string; reason: string }[],
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UMD_NativeBlasUnavailableError';
    Object.defineProperty(this, marker, { value: true });
  }
}
