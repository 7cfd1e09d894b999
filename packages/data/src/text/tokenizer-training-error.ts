import { UmdError } from '@umd/core';

/** WordPiece training could not read its corpus. `detail` says which file and why. */
export class TokenizerTrainingError extends UmdError {
  constructor(
    readonly detail: string,
    options: { cause?: unknown } = {},
  ) {
    super({
      name: 'UMD_TokenizerTrainingError',
      message: `WordPiece training failed: ${detail}. Check that the corpus files exist and are readable UTF-8 text.`,
      cause: options.cause,
    });
  }
}
