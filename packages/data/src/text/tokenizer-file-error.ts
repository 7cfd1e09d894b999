import { UmdError } from '@umd/core';

/** A tokenizer.json (or a vocabulary file) is missing, unreadable or not a WordPiece tokenizer. */
export class TokenizerFileError extends UmdError {
  constructor(
    readonly path: string,
    readonly reason: 'missing' | 'unreadable' | 'invalid',
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    const hint =
      reason === 'invalid'
        ? 'Pass a WordPiece tokenizer.json (from trainWordPieceTokenizer, or a BERT-family tokenizer.json), or omit `path` for bert-base-uncased.'
        : 'Check the `path` option, or omit it to use bert-base-uncased.';
    super({ name: 'UMD_TokenizerFileError', message: `Cannot use tokenizer file '${path}' (${reason}): ${detail}. ${hint}`, cause: options.cause });
  }
}
