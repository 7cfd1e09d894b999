import { InvalidConfigError } from '@umd/core';

/** The special tokens every UMD WordPiece vocabulary holds (BERT's names). */
export const specialTokens = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/** The parts of a Hugging Face tokenizer.json this package writes and reads (the full format has more). */
export interface TokenizerJson {
  readonly version: string;
  readonly added_tokens: readonly {
    readonly id: number;
    readonly content: string;
    readonly single_word: boolean;
    readonly lstrip: boolean;
    readonly rstrip: boolean;
    readonly normalized: boolean;
    readonly special: boolean;
  }[];
  readonly normalizer: unknown;
  readonly pre_tokenizer: unknown;
  readonly post_processor: unknown;
  readonly decoder: unknown;
  readonly model: {
    readonly type: 'WordPiece';
    readonly unk_token: string;
    readonly continuing_subword_prefix: string;
    readonly max_input_chars_per_word: number;
    readonly vocab: Readonly<Record<string, number>>;
  };
  readonly [key: string]: unknown;
}

/** Options of {@link wordPieceTokenizerJson}. */
export interface WordPieceTokenizerJsonOptions {
  /** Lower-case and strip accents before splitting (uncased models). Default true. */
  readonly lowercase?: boolean;
}

/**
 * Builds a BERT-style tokenizer.json (the format of Hugging Face's `tokenizers`, readable by Python and JS) from a
 * WordPiece vocabulary: BertNormalizer, BertPreTokenizer (split on whitespace and punctuation), WordPiece with `##`
 * continuations, `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]` templates and a WordPiece decoder.
 *
 * @param vocabulary token strings, index = id; must contain every token of {@link specialTokens}
 * @throws InvalidConfigError when a special token is missing or a token repeats
 */
export function wordPieceTokenizerJson(vocabulary: readonly string[], options: WordPieceTokenizerJsonOptions = {}): TokenizerJson {
  const { lowercase = true } = options;
  const vocab: Record<string, number> = {};
  vocabulary.forEach((token, id) => {
    if (Object.hasOwn(vocab, token)) throw new InvalidConfigError('vocabulary', token, `unique tokens (also at id ${vocab[token]})`);
    vocab[token] = id;
  });
  const missing = specialTokens.filter((token) => !Object.hasOwn(vocab, token));
  if (missing.length > 0) throw new InvalidConfigError('vocabulary', missing, `a vocabulary containing ${specialTokens.join(', ')}`);
  const id = (token: string): number => vocab[token]!;
  const special = (token: string) => ({ id: token, type_id: 0 });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specialTokens
      .map((token) => ({ id: id(token), content: token, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }))
      .sort((a, b) => a.id - b.id),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: lowercase ? null : false, lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: special('[CLS]') }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: special('[SEP]') }],
      pair: [
        { SpecialToken: special('[CLS]') },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: special('[SEP]') },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}
