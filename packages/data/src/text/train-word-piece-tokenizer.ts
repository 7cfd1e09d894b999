import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InvalidConfigError } from '@umd/core';

import { TokenizerTrainingError } from './tokenizer-training-error.js';
import { specialTokens, wordPieceTokenizerJson } from './word-piece-tokenizer-json.js';
import { WordPieceTokenizer, writeTextAtomic } from './word-piece-tokenizer.js';

/** Options of {@link trainWordPieceTokenizer}. */
export interface TrainWordPieceTokenizerOptions {
  /** Training text: a list of documents (written to a temp file, one per line) or text files. */
  readonly corpus: readonly string[] | { readonly files: readonly string[] };
  /** Where to write the tokenizer.json (parent directories are created). */
  readonly outputPath: string;
  /**
   * Largest vocabulary, special tokens included. The native trainer runs with its default settings (at most 30,000
   * pieces, no minimum frequency); a smaller bound keeps the alphabet and the earliest (most frequent) merges.
   * Default: no bound.
   */
  readonly vocabSize?: number;
  /** Lower-case and strip accents (uncased). Default true. */
  readonly lowercase?: boolean;
}

/** Result of {@link trainWordPieceTokenizer}. */
export interface TrainedWordPieceTokenizer {
  /** The tokenizer.json written. */
  readonly path: string;
  /** Vocabulary size, special tokens included. */
  readonly vocabSize: number;
  readonly tokenizer: WordPieceTokenizer;
}

/**
 * The training itself runs in a child Node process: the native `tokenizers` trainer prints progress lines straight to
 * the process's stdout (which would corrupt a CLI's JSON output), and its 60 MB binary stays out of this process.
 */
const childScript = `
const [modulePath, lowercase, outPath, ...files] = process.argv.slice(1);
const t = require(modulePath);
const lower = lowercase === 'true';
const tokenizer = new t.Tokenizer(t.WordPiece.empty());
tokenizer.setNormalizer(t.bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: lower, lowercase: lower }));
tokenizer.setPreTokenizer(t.bertPreTokenizer());
tokenizer.train(files);
require('node:fs').writeFileSync(outPath, JSON.stringify(tokenizer.getVocab(false)));
`;

/**
 * Trains a domain WordPiece vocabulary offline with the native `tokenizers` package (Hugging Face's Rust library;
 * default WordPiece trainer: BERT normalisation and pre-tokenisation, `##` continuations), adds BERT's special tokens
 * afterwards at ids 0-4 ([PAD], [UNK], [CLS], [SEP], [MASK]) and writes a tokenizer.json that
 * {@link loadWordPieceTokenizer} (and Python's `tokenizers`) read.
 *
 * Not bit-reproducible: the native trainer breaks frequency ties in Rust's randomised hash order, so two runs on one
 * corpus can differ in rare pieces and in ids. Train once and keep the tokenizer.json with the model.
 *
 * @throws InvalidConfigError for an empty corpus or a `vocabSize` below the corpus alphabet
 * @throws TokenizerTrainingError when the native trainer fails; FileWriteError when the output cannot be written
 */
export async function trainWordPieceTokenizer(options: TrainWordPieceTokenizerOptions): Promise<TrainedWordPieceTokenizer> {
  const { lowercase = true, vocabSize } = options;
  if (vocabSize !== undefined && (!Number.isInteger(vocabSize) || vocabSize < specialTokens.length + 1)) {
    throw new InvalidConfigError('vocabSize', vocabSize, `an integer > ${specialTokens.length} (the special tokens)`);
  }
  const work = await mkdtemp(join(tmpdir(), 'umd-wordpiece-'));
  try {
    let files: readonly string[];
    if ('files' in options.corpus) {
      files = options.corpus.files;
    } else {
      const texts = options.corpus as readonly string[];
      files = [join(work, 'corpus.txt')];
      await writeFile(files[0]!, texts.map((text) => text.replace(/[\r\n]+/g, ' ')).join('\n'));
    }
    if (files.length === 0) throw new InvalidConfigError('corpus', options.corpus, 'at least one text or file');
    const vocabPath = join(work, 'vocab.json');
    const modulePath = createRequire(import.meta.url).resolve('tokenizers');
    await runChild([modulePath, String(lowercase), vocabPath, ...files]);
    const trained = JSON.parse(await readFile(vocabPath, 'utf8')) as Record<string, number>;
    const pieces = Object.entries(trained)
      .sort((a, b) => a[1] - b[1])
      .map(([token]) => token)
      .filter((token) => !(specialTokens as readonly string[]).includes(token));
    if (pieces.length === 0) throw new InvalidConfigError('corpus', options.corpus, 'text with at least one word');
    const alphabet = pieces.filter((token) => [...token.replace(/^##/, '')].length === 1).length;
    const limit = vocabSize === undefined ? pieces.length : vocabSize - specialTokens.length;
    if (limit < alphabet) {
      throw new InvalidConfigError('vocabSize', vocabSize, `at least ${alphabet + specialTokens.length} for this corpus (its characters, with and without ##, plus 5 special tokens)`);
    }
    const vocabulary = [...specialTokens, ...pieces.slice(0, limit)];
    const json = wordPieceTokenizerJson(vocabulary, { lowercase });
    await writeTextAtomic(options.outputPath, JSON.stringify(json));
    return { path: options.outputPath, vocabSize: vocabulary.length, tokenizer: new WordPieceTokenizer(json, options.outputPath) };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function runChild(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', childScript, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', (error) => reject(new TokenizerTrainingError(error.message, { cause: error })));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new TokenizerTrainingError(`the trainer exited with code ${code}: ${stderr.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}
