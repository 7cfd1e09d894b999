import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { loadWordPieceTokenizer, WordVectorFileError, type WordPieceTokenizer } from '@umd/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadWordVectors } from './load-word-vectors.js';

describe('loadWordVectors', () => {
  let dir: string;
  let tokenizer: WordPieceTokenizer;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'trainer-word-vectors-'));
    tokenizer = await loadWordPieceTokenizer({ cacheDir: dir });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file and keeps only the tokenizer’s whole words', async () => {
    const file = path.join(dir, 'glove.txt');
    await writeFile(file, 'brain 1 2\nion 3 4\nnotawordpiecetoken 5 6\n');
    const vectors = await loadWordVectors(file, tokenizer);
    expect(vectors.size).toBe(2); // "ion" is a whole-word token of bert-base-uncased too
    expect(Array.from(vectors.get('brain')!)).toEqual([1, 2]);
    expect(vectors.get('notawordpiecetoken')).toBeUndefined();
  });

  it('names a package that is not installed and a file that is not there', async () => {
    await expect(loadWordVectors('no-such-word-vectors-package', tokenizer)).rejects.toThrow(WordVectorFileError);
    await expect(loadWordVectors('no-such-word-vectors-package', tokenizer)).rejects.toThrow(/pnpm add no-such-word-vectors-package/);
    await expect(loadWordVectors(path.join(dir, 'absent.txt'), tokenizer)).rejects.toThrow(/absent\.txt' \(missing\)/);
  });
});
