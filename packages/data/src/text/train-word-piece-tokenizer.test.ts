import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
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
    expect(JSON.parse(await readFile(outputPath, 'utf8'))).toMatchObject({ model: { type: 'WordPiece', continuing_subword_prefix: '##' } });
  });

  it('bounds the vocabulary size, keeping the alphabet', async () => {
    const trained = await trainWordPieceTokenizer({ corpus, outputPath: join(dir, 'small.json'), vocabSize: 80 });
    expect(trained.vocabSize).toBe(80);
    expect(trained.tokenizer.encode('pneumothorax').tokens).not.toContain('[UNK]');
    await expect(trainWordPieceTokenizer({ corpus, outputPath: join(dir, 'tiny.json'), vocabSize: 10 })).rejects.toThrow(InvalidConfigError);
  });

  it('writes the same file for the same corpus, whatever the order of its documents', async () => {
    // The corpus is full of equally frequent pairs: the native trainer gave 5 different vocabularies in 6 runs on it.
    const first = await trainWordPieceTokenizer({ corpus, outputPath: join(dir, 'first.json'), vocabSize: 120 });
    const shuffled = corpus.map((_, i) => corpus[(i * 7) % corpus.length]!); // 7 is coprime to 300: a permutation
    const second = await trainWordPieceTokenizer({ corpus: shuffled, outputPath: join(dir, 'second.json'), vocabSize: 120 });
    expect(await readFile(second.path, 'utf8')).toBe(await readFile(first.path, 'utf8'));
    // Golden: the last merges learnt (a change here changes every trained vocabulary, and every run that uses one).
    expect((await piecesById(first.path)).slice(-6)).toEqual(GOLDEN_LAST_PIECES);
  });

  it('learns the merges of the native tokenizers trainer where no ties arise', async (context) => {
    // Words of at most 4 letters, each pair in one word only, every word a different count: the native trainer's
    // random hash order then only changes the ids of the ## letters, never which merges it makes.
    const counts = { lung: 9, cyst: 7, hip: 5, ear: 3, rib: 11, jaw: 2 };
    const words = Object.entries(counts).flatMap(([word, count]) => Array.from({ length: count }, () => word));
    const file = join(dir, 'tie-free.txt');
    await writeFile(file, words.join('\n'));
    let native: string[];
    try {
      native = trainNative(file);
    } catch (error) {
      context.skip(`the native tokenizers package cannot train here: ${(error as Error).message}`);
      return;
    }
    const trained = await trainWordPieceTokenizer({ corpus: { files: [file] }, outputPath: join(dir, 'tie-free.json') });
    const ours = (await piecesById(trained.path)).slice(5); // after the special tokens
    const isAlphabet = (piece: string) => [...piece.replace(/^##/, '')].length === 1;
    expect(new Set(ours.filter(isAlphabet))).toEqual(new Set(native.filter(isAlphabet)));
    expect(ours.filter((piece) => !isAlphabet(piece))).toEqual(native.filter((piece) => !isAlphabet(piece)));
  });

  it('fails with a typed error for a missing corpus file', async () => {
    await expect(trainWordPieceTokenizer({ corpus: { files: [join(dir, 'missing.txt')] }, outputPath: join(dir, 'x.json') })).rejects.toThrow(
      /WordPiece training failed: cannot read the corpus file .*missing\.txt/,
    );
  });
});

const GOLDEN_LAST_PIECES: readonly string[] = ['##ge', '##ng', 'lung', 'large', 'he', 'ki'];

/** The tokens of a tokenizer.json in id order. */
async function piecesById(path: string): Promise<string[]> {
  const vocab = (JSON.parse(await readFile(path, 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab;
  return Object.keys(vocab).sort((a, b) => vocab[a]! - vocab[b]!);
}

/**
 * The vocabulary of the native `tokenizers` WordPiece trainer (default settings, uncased BERT normalisation) on a
 * file, in id order. It runs in a child process: the trainer prints progress bars straight to stdout.
 */
function trainNative(file: string): string[] {
  const modulePath = createRequire(import.meta.url).resolve('tokenizers');
  const script = `
    const t = require(process.argv[1]);
    const tokenizer = new t.Tokenizer(t.WordPiece.empty());
    tokenizer.setNormalizer(t.bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true }));
    tokenizer.setPreTokenizer(t.bertPreTokenizer());
    tokenizer.train([process.argv[2]]);
    process.stderr.write('VOCAB' + JSON.stringify(tokenizer.getVocab(false)));`;
  const child = spawnSync(process.execPath, ['-e', script, modulePath, file], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  const at = child.stderr.lastIndexOf('VOCAB');
  if (child.status !== 0 || at < 0) throw new Error(child.stderr.trim().split('\n').at(-1) ?? `exit ${child.status}`);
  const vocab = JSON.parse(child.stderr.slice(at + 'VOCAB'.length)) as Record<string, number>;
  return Object.keys(vocab).sort((a, b) => vocab[a]! - vocab[b]!);
}
