import { UmdError } from './umd-error.js';

/** The requested tfjs backend could not be started. Carries every attempt and why it failed. */
export class BackendUnavailableError extends UmdError {
  constructor(
    readonly requested: string,
    readonly attempts: readonly { backend: string; reason: string }[],
    hint: string,
    options: { cause?: unknown } = {},
  ) {
    const tried = attempts.map((attempt) => `  - ${attempt.backend}: ${attempt.reason}`).join('\n');
    super({
      name: 'UMD_BackendUnavailableError',
      message: `Backend '${requested}' is unavailable.\n${tried}\n${hint}`,
      cause: options.cause,
    });
  }
}
