import { UmdError } from '@umd/core';

/** `<out>/bench-state.json` cannot be used: unreadable, not JSON, not a bench state, or absent where one is needed. */
export class BenchStateError extends UmdError {
  constructor(
    readonly file: string,
    readonly problem: string,
    options: { cause?: unknown; advice?: string } = {},
  ) {
    super({
      name: 'UMD_BenchStateError',
      message: `${file} ${problem}. ${options.advice ?? 'Delete it (or pass --no-resume, which starts the benchmark over) or choose another --out folder.'}`,
      cause: options.cause,
    });
  }
}
