import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InvalidConfigError } from '@umd/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { trainWordPieceTokenizer } from './train-word-piece-tokenizer.js';
import { loadWordPieceTokenizer } from './word-piece-tokenizer.js';

let dir: string;
const organs = ['left lung', 'right lung', 'liver', 'spleen', 'heart', 'kidney'];
const corpus = Array.from({ length: 300 }, (_, i) => {
  const organ = organs[i % organs.length]!;
  return `Axial CT shows a ${i % 3 ? 'small' : 'large'} hypodense lesion in the ${organ}. Pneumothorax ${i % 2 ? 'present' : 'absent'}; lymphadenopathy noted.`;
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'umd-train-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('trainWordPieceTokenizer', () => {
  it('trains a domain vocabulary with special tokens at 0-4 and writes a loadable tokenizer.json', async () => {
    const outputPath = join(dir, 'domain', 'tokenizer.json');
    const trained = await trainWordPieceTokenizer({ corpus, outputPath });
    expect(trained.tokenizer.specialIds).toEqual({ pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 });
    // Frequent domain words become single tokens (bert-base-uncased needs 6 pieces for "pneumothorax").
    expect(trained.tokenizer.tokenize('Pneumothorax lymphadenopathy')).toEqual(['pneumothorax', 'lymphadenopathy']);
    const loaded = await loadWordPieceTokenizer({ path: outputPath });
    expect(loaded.vocabSize).toBe(trained.vocabSize);
    const encoded = loaded.encode('hypodense lesion in the spleen');
    expect(encoded.ids[0]).toBe(2);
    expect(encoded.ids.at(-1)).toBe(3);
    expect(encoded.tokens).not.toContain('[UNK]');
    // The native trainer breaks frequency ties in Rust's randomised hash order, so two runs may differ in rare
    // pieces (not asserted); frequent words come out whole every time.
    const again = await trainWordPieceTokenizer({ corpus, outputPath: join(dir, 'again.json') });
    expect(again.tokenizer.tokenize('pneumothorax lesion spleen')).toEqual(['pneumothorax', 'lesion', 'spleen']);
    expect(JSON.parse(await readFile(outputPath, 'utf8'))).toMatchObject({ model: { type: 'WordPiece', continuing_subword_prefix: '##' } });
  });

  it('bounds the vocabulary size, keeping the alphabet', async () => {
    const trained = await trainWordPieceTokenizer({ corpus, outputPath: join(dir, 'small.json'), vocabSize: 80 });
    expect(trained.vocabSize).toBe(80);
    expect(trained.tokenizer.encode('pneumothorax').tokens).not.toContain('[UNK]');
    await expect(trainWordPieceTokenizer({ corpus, outputPath: join(dir, 'tiny.json'), vocabSize: 10 })).rejects.toThrow(InvalidConfigError);
  });

  it('fails with a typed error for a missing corpus file', async () => {
    await expect(trainWordPieceTokenizer({ corpus: { files: [join(dir, 'missing.txt')] }, outputPath: join(dir, 'x.json') })).rejects.toThrow(
      /WordPiece training failed/,
    );
  });
});
