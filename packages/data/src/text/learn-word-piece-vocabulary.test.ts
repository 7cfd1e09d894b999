import { describe, expect, it } from 'vitest';

import { learnWordPieceVocabulary } from './learn-word-piece-vocabulary.js';

describe('learnWordPieceVocabulary', () => {
  it('breaks ties between equally frequent pairs by piece id, not by input order', () => {
    // (a, ##b) and (c, ##d) are both seen twice: the pair whose first piece has the lower id (a) merges first.
    const expected = ['a', 'b', 'c', 'd', '##b', '##d', 'ab', 'cd'];
    expect(
      learnWordPieceVocabulary(
        new Map([
          ['ab', 2],
          ['cd', 2],
        ]),
      ),
    ).toEqual(expected);
    expect(
      learnWordPieceVocabulary(
        new Map([
          ['cd', 2],
          ['ab', 2],
        ]),
      ),
    ).toEqual(expected);
  });

  it('merges the most frequent pair first and continues words with ##', () => {
    // (##u, ##n) and (##n, ##g) are in both words (5 + 3 = 8; ##n < ##u), then (##u, ##ng) (8), (l, ##ung) (5), (r, ##ung).
    expect(
      learnWordPieceVocabulary(
        new Map([
          ['lung', 5],
          ['rung', 3],
        ]),
      ),
    ).toEqual(['g', 'l', 'n', 'r', 'u', '##g', '##n', '##u', '##ng', '##ung', 'lung', 'rung']);
  });

  it('merges repeated pieces left to right without overlap', () => {
    // a ##a ##a ##a: (##a, ##a) is seen twice; merging it left to right gives a ##aa ##a, not a ##aaa.
    expect(learnWordPieceVocabulary(new Map([['aaaa', 1]]))).toEqual(['a', '##a', '##aa', 'aaa', 'aaaa']);
  });

  it('stops at maxPieces, keeping the alphabet and the earliest merges', () => {
    const counts = new Map([
      ['lung', 5],
      ['rung', 3],
    ]);
    const all = learnWordPieceVocabulary(counts);
    expect(learnWordPieceVocabulary(counts, { maxPieces: 10 })).toEqual(all.slice(0, 10));
    expect(learnWordPieceVocabulary(counts, { maxPieces: 3 })).toEqual(all.slice(0, 8)); // the alphabet is never cut
  });

  it('gives the same pieces for the same counts in any order', () => {
    const words = Array.from({ length: 400 }, (_, i) => [`w${(i * 7919) % 1000}x${i % 13}`, 1 + (i % 5)] as const);
    const forward = learnWordPieceVocabulary(new Map(words), { maxPieces: 120 });
    const backward = learnWordPieceVocabulary(new Map([...words].reverse()), { maxPieces: 120 });
    expect(backward).toEqual(forward);
    expect(new Set(forward).size).toBe(forward.length);
  });
});
