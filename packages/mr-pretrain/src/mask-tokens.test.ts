import { SeededRandom } from '@umd/core';
import { describe, expect, it } from 'vitest';

import { ignoredLabel, maskTokens } from './mask-tokens.js';

/** Samples of `[CLS] words… [SEP] [PAD]…`; word k has 1 + (k mod 3) tokens. Special ids 0–3, mask 3. */
function corpus(batchSize: number, length: number, random: SeededRandom, vocabSize = 60) {
  const tokenIds = new Int32Array(batchSize * length);
  const attentionMask = new Int32Array(batchSize * length);
  const wordIds = new Int32Array(batchSize * length).fill(-1);
  for (let b = 0; b < batchSize; b++) {
    const row = b * length;
    const real = length - (b % 3);
    tokenIds[row] = 1;
    let t = 1;
    for (let word = 0; t < real - 1; word++) {
      for (let k = 0; k < 1 + (word % 3) && t < real - 1; k++, t++) {
        tokenIds[row + t] = 4 + random.integer(vocabSize - 4);
        wordIds[row + t] = word;
      }
    }
    tokenIds[row + real - 1] = 2;
    attentionMask.fill(1, row, row + real);
  }
  return { tokenIds, attentionMask, wordIds };
}

const specials = { maskTokenId: 3, specialTokenIds: [0, 1, 2, 3] };

describe('maskTokens', () => {
  it('selects exactly round(ratio·words) whole words per sample and never splits one', () => {
    const B = 50;
    const T = 24;
    const { tokenIds, attentionMask, wordIds } = corpus(B, T, new SeededRandom(1));
    const out = maskTokens(tokenIds, attentionMask, wordIds, { batchSize: B, vocabSize: 60, ...specials }, new SeededRandom(2));
    for (let b = 0; b < B; b++) {
      const predictedByWord = new Map<number, boolean[]>();
      for (let t = 0; t < T; t++) {
        const i = b * T + t;
        const predicted = out.labels[i] !== ignoredLabel;
        if (wordIds[i]! < 0) {
          expect(predicted).toBe(false); // specials and padding are never chosen
          expect(out.inputIds[i]).toBe(tokenIds[i]);
          continue;
        }
        predictedByWord.set(wordIds[i]!, [...(predictedByWord.get(wordIds[i]!) ?? []), predicted]);
        if (predicted) expect(out.labels[i]).toBe(tokenIds[i]);
        else expect(out.inputIds[i]).toBe(tokenIds[i]);
      }
      const words = [...predictedByWord.values()];
      for (const flags of words) expect(new Set(flags).size).toBe(1); // all or none of a word's tokens
      expect(words.filter((flags) => flags[0]).length).toBe(Math.max(1, Math.round(0.15 * words.length)));
    }
    // positions/targets list exactly the labelled tokens.
    expect([...out.positions]).toEqual([...out.labels.keys()].filter((i) => out.labels[i] !== ignoredLabel));
    expect([...out.targets]).toEqual([...out.positions].map((i) => tokenIds[i]));
  });

  it('masks single tokens independently when wholeWord is false', () => {
    const { tokenIds, attentionMask, wordIds } = corpus(10, 24, new SeededRandom(3));
    const out = maskTokens(tokenIds, attentionMask, wordIds, { batchSize: 10, vocabSize: 60, wholeWord: false, ...specials }, new SeededRandom(4));
    for (let b = 0; b < 10; b++) {
      let eligible = 0;
      let predicted = 0;
      for (let t = 0; t < 24; t++) {
        if (wordIds[b * 24 + t]! >= 0) eligible++;
        if (out.labels[b * 24 + t] !== ignoredLabel) predicted++;
      }
      expect(predicted).toBe(Math.round(0.15 * eligible));
    }
  });

  it('is reproducible from the seed', () => {
    const { tokenIds, attentionMask, wordIds } = corpus(4, 16, new SeededRandom(5));
    const options = { batchSize: 4, vocabSize: 60, ...specials };
    const a = maskTokens(tokenIds, attentionMask, wordIds, options, new SeededRandom(9));
    const b = maskTokens(tokenIds, attentionMask, wordIds, options, new SeededRandom(9));
    expect(a.inputIds).toEqual(b.inputIds);
    expect(a.positions).toEqual(b.positions);
  });

  it('replaces selected words by [MASK] 80%, random ids 10%, keeps 10%', () => {
    // One-token words, so each selected word is one trial. 2,000 samples × round(0.15·60) = 18,000 trials; the
    // standard error of a proportion p is √(p(1 − p)/n) ≤ 0.0038, so ±0.015 is about 4σ. A random id equals the
    // original with probability 1/996, which moves ≤ 0.0001 from "random" to "kept".
    const B = 2000;
    const T = 62;
    const vocabSize = 1000;
    const random = new SeededRandom(11);
    const tokenIds = new Int32Array(B * T);
    const wordIds = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const i = b * T + t;
        const special = t === 0 || t === T - 1;
        tokenIds[i] = special ? 1 : 4 + random.integer(vocabSize - 4);
        wordIds[i] = special ? -1 : t - 1;
      }
    }
    const out = maskTokens(tokenIds, new Int32Array(B * T).fill(1), wordIds, { batchSize: B, vocabSize, ...specials }, new SeededRandom(12));
    const n = out.positions.length;
    expect(n).toBe(B * 9);
    let masked = 0;
    let kept = 0;
    for (const i of out.positions) {
      if (out.inputIds[i] === 3) masked++;
      else if (out.inputIds[i] === tokenIds[i]) kept++;
      else expect(out.inputIds[i]).toBeGreaterThanOrEqual(4); // random replacements are never special ids
    }
    expect(Math.abs(masked / n - 0.8)).toBeLessThan(0.015);
    expect(Math.abs(kept / n - 0.1)).toBeLessThan(0.015);
    expect(Math.abs((n - masked - kept) / n - 0.1)).toBeLessThan(0.015);
  });
});
