import { SeededRandom } from '@umd/core';
import { describe, expect, it } from 'vitest';

import { dropSentences } from './drop-sentences.js';

const caption = 'Sagittal T2 MRI of the cervical spine. The cord is compressed at C5-C6! Is there edema? None is seen.';
const sentences = ['Sagittal T2 MRI of the cervical spine.', 'The cord is compressed at C5-C6!', 'Is there edema?', 'None is seen.'];

describe('dropSentences', () => {
  it('keeps the sentences whose draw reaches the probability, in their order', () => {
    const draws = [0.9, 0.1, 0.5, 0.29];
    expect(dropSentences(caption, 0.3, () => draws.shift()!)).toBe(`${sentences[0]} ${sentences[2]}`);
  });

  it('keeps the sentence drawn last to go when every draw falls below the probability', () => {
    const draws = [0.1, 0.4, 0.2, 0.3];
    expect(dropSentences(caption, 0.5, () => draws.shift()!)).toBe(sentences[1]);
  });

  it('returns a text of one sentence, and any text at probability 0, unchanged', () => {
    expect(dropSentences('Axial CT of the abdomen.', 0.9, () => 0)).toBe('Axial CT of the abdomen.');
    expect(dropSentences(caption, 0, () => 0)).toBe(caption);
  });

  it('is reproducible from its seed and drops about the share it is given', () => {
    const once = (seed: number): string => dropSentences(caption, 0.3, new SeededRandom(seed));
    expect(once(7)).toBe(once(7));
    let kept = 0;
    for (let seed = 0; seed < 500; seed++) kept += sentences.filter((sentence) => once(seed).includes(sentence)).length;
    expect(kept / (500 * sentences.length)).toBeGreaterThan(0.65); // 0.7 expected, plus the kept-one rule
    expect(kept / (500 * sentences.length)).toBeLessThan(0.76);
  });

  it('refuses a probability outside [0, 1)', () => {
    expect(() => dropSentences(caption, 1, () => 0)).toThrow(/sentenceDrop/);
    expect(() => dropSentences(caption, -0.1, () => 0)).toThrow(/sentenceDrop/);
  });
});
