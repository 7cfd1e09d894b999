import { UmdError } from '@umd/core';

/** `<out>/bench-state.json` exists but cannot be used: unreadable, not JSON, or not a bench state. */
export class BenchStateError extends UmdError {
  constructor(
    readonly file: string,
    readonly problem: string,
    options: { cause?: unknown } = {},
  ) {
    super({
      name: 'UMD_BenchStateError',
      message: `${file} ${problem}. Delete it (or pass --no-resume, which starts the benchmark over) or choose another --out folder.`,
      cause: options.cause,
    });
  }
}
