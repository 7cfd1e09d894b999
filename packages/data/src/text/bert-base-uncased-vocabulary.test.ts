import { describe, expect, it } from 'vitest';

import { bertBaseUncasedVocabulary } from './bert-base-uncased-vocabulary.js';

describe('bertBaseUncasedVocabulary', () => {
  const vocabulary = bertBaseUncasedVocabulary();

  it('has the 30,522 unique entries of bert-base-uncased, ids unchanged', () => {
    expect(vocabulary).toHaveLength(30522);
    expect(new Set(vocabulary).size).toBe(30522);
    expect([vocabulary[0], vocabulary[1], vocabulary[100], vocabulary[101], vocabulary[102], vocabulary[103]]).toEqual([
      '[PAD]',
      '[unused0]',
      '[UNK]',
      '[CLS]',
      '[SEP]',
      '[MASK]',
    ]);
  });

  it('turns ▁ word starts into bare tokens and bare continuations into ## pieces', () => {
    expect(vocabulary[1996]).toBe('the');
    expect(vocabulary[2003]).toBe('is');
    expect(vocabulary[2015]).toBe('##s');
    expect(vocabulary[1029]).toBe('?');
    expect(vocabulary.some((token) => token.includes('\u2581'))).toBe(false);
  });
});
