import { describe, expect, it } from 'vitest';

import { offeredAnswerClasses, offeredArgMax } from './answer-choices.js';

const classes = ['yes', 'no', 'left side', 'right side', 'left', 'liver', 'asymmetric', 'symmetric', 'more dense', 'less dense', 'ct', 'mri'];
const names = (question: string): string[] => offeredAnswerClasses(question, classes).map((k) => classes[k]!);

describe('offeredAnswerClasses', () => {
  it('names every class whose words all appear in a question with "or"', () => {
    expect(names("Is the lesion on the patient's left or right side?")).toEqual(['left side', 'right side', 'left']);
    expect(names('Is this a CT or an MRI?')).toEqual(['ct', 'mri']);
    expect(names('Are the lesions more or less dense than surrounding tissue?')).toEqual(['more dense', 'less dense']);
  });

  it('matches words of five letters or more by their first five (asymmetric / asymmetrical), shorter ones exactly', () => {
    expect(names('Is the stomach wall thickening symmetric or asymmetrical?')).toEqual(['asymmetric', 'symmetric']);
    // "lefts" is not "left": a four-letter word must appear as it is
    expect(names('Is it on the lefts or in the liver?')).toEqual([]);
  });

  it('offers nothing without the word "or", with fewer than two named classes, and never yes / no', () => {
    expect(names('Is there a mass in the liver?')).toEqual([]);
    expect(names('What organ is shown, liver or spleen?')).toEqual([]); // one class named: no choice
    expect(names('Which organ is abnormal, the liver?')).toEqual([]); // "organ" holds "or" but is not the word
    expect(names('Yes or no: is this a CT or an MRI?')).toEqual(['ct', 'mri']);
  });
});

describe('offeredArgMax', () => {
  it('takes the largest logit among the offered classes of its row only', () => {
    const logits = Float32Array.from([9, 1, 2, 3, /* row 1 */ 0, 5, 4, 9]);
    expect(offeredArgMax(logits, 4, 0, [1, 2, 3])).toBe(3);
    expect(offeredArgMax(logits, 4, 1, [1, 2])).toBe(1);
    expect(offeredArgMax(logits, 4, 1, [2])).toBe(2);
  });
});
