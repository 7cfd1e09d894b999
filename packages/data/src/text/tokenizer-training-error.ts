import { UmdError } from '@umd/core';

/** The native WordPiece trainer failed. `detail` holds the end of its error output. */
export class TokenizerTrainingError extends UmdError {
  constructor(
    readonly detail: string,
    options: { cause?: unknown } = {},
  ) {
    super({
      name: 'UMD_TokenizerTrainingError',
      message:
        `WordPiece training failed: ${detail}. Check that the corpus files exist and are UTF-8 text, ` +
        "and that the 'tokenizers' package (0.23.2) is installed for this platform.",
      cause: options.cause,
    });
  }
}
