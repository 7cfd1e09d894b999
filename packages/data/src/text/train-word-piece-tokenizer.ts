import { readFile } from 'node:fs/promises';

import { Tokenizer } from '@huggingface/tokenizers';
import { InvalidConfigError } from '@umd/core';

import { learnWordPieceVocabulary } from './learn-word-piece-vocabulary.js';
import { TokenizerTrainingError } from './tokenizer-training-error.js';
import { specialTokens, wordPieceTokenizerJson } from './word-piece-tokenizer-json.js';
import { WordPieceTokenizer, writeTextAtomic } from './word-piece-tokenizer.js';

/** Options of {@link trainWordPieceTokenizer}. */
export interface TrainWordPieceTokenizerOptions {
  /** Training text: a list of documents, or UTF-8 text files (read line by line). */
  readonly corpus: readonly string[] | { readonly files: readonly string[] };
  /** Where to write the tokenizer.json (parent directories are created). */
  readonly outputPath: string;
  /**
   * Largest vocabulary, special tokens included: the alphabet and the earliest (most frequent) merges. Default 30,000
   * (the native `tokenizers` trainer's default).
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
 * Trains a domain WordPiece vocabulary: BERT normalisation and pre-tokenisation (the tokenizer's own, so training sees
 * the words encoding will), then the merges of Hugging Face's WordPiece trainer ({@link learnWordPieceVocabulary}) with
 * `##` continuations; adds BERT's special tokens at ids 0-4 ([PAD], [UNK], [CLS], [SEP], [MASK]) and writes a
 * tokenizer.json that {@link loadWordPieceTokenizer} (and Python's `tokenizers`) read.
 *
 * Reproducible: the same corpus and options give the same file, byte for byte, in any process and in any order of the
 * documents (ties between equally frequent pairs are broken by a rule, not by a hash order as in the native trainer).
 *
 * @throws InvalidConfigError for an empty corpus or a `vocabSize` below the corpus alphabet
 * @throws TokenizerTrainingError when a corpus file cannot be read; FileWriteError when the output cannot be written
 */
export async function trainWordPieceTokenizer(options: TrainWordPieceTokenizerOptions): Promise<TrainedWordPieceTokenizer> {
  const { lowercase = true, vocabSize = 30_000 } = options;
  if (!Number.isInteger(vocabSize) || vocabSize < specialTokens.length + 1) {
    throw new InvalidConfigError('vocabSize', vocabSize, `an integer > ${specialTokens.length} (the special tokens)`);
  }
  // The normaliser and pre-tokeniser of the tokenizer.json written below: training counts the words encoding will see.
  const { normalizer, pre_tokenizer: preTokenizer } = new Tokenizer(wordPieceTokenizerJson([...specialTokens], { lowercase }), {});
  const wordCounts = new Map<string, number>();
  const count = (text: string): void => {
    for (const word of preTokenizer!.pre_tokenize_text(normalizer!.normalize(text))) wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
  };
  if ('files' in options.corpus) {
    const { files } = options.corpus;
    if (files.length === 0) throw new InvalidConfigError('corpus', options.corpus, 'at least one text or file');
    for (const file of files) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        throw new TokenizerTrainingError(`cannot read the corpus file '${file}' (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
      }
      for (const line of text.split(/\r?\n/)) count(line);
    }
  } else {
    const texts = options.corpus as readonly string[];
    if (texts.length === 0) throw new InvalidConfigError('corpus', options.corpus, 'at least one text or file');
    for (const text of texts) count(text);
  }
  if (wordCounts.size === 0) throw new InvalidConfigError('corpus', options.corpus, 'text with at least one word');

  const limit = vocabSize - specialTokens.length;
  const pieces = learnWordPieceVocabulary(wordCounts, { maxPieces: limit });
  const alphabet = pieces.filter((token) => [...token.replace(/^##/, '')].length === 1).length;
  if (limit < alphabet) {
    throw new InvalidConfigError(
      'vocabSize',
      vocabSize,
      `at least ${alphabet + specialTokens.length} for this corpus (its characters, with and without ##, plus 5 special tokens)`,
    );
  }
  const vocabulary = [...specialTokens, ...pieces];
  const json = wordPieceTokenizerJson(vocabulary, { lowercase });
  await writeTextAtomic(options.outputPath, JSON.stringify(json));
  return { path: options.outputPath, vocabSize: vocabulary.length, tokenizer: new WordPieceTokenizer(json, options.outputPath) };
}
