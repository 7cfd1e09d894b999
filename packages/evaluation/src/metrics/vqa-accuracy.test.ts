import { describe, expect, it } from 'vitest';

import { EvaluationInputError } from '../errors/evaluation-input-error.js';
import { normalizeAnswer, vqaAccuracy, type VqaRecord } from './vqa-accuracy.js';

describe('vqaAccuracy', () => {
  const records: VqaRecord[] = [
    { prediction: 'Yes', answer: 'yes', answerType: 'closed' }, // case
    { prediction: ' no ', answer: 'no', answerType: 'closed' }, // trim
    { prediction: 'yes', answer: 'no', answerType: 'closed' },
    { prediction: 'left  lung', answer: 'Left\tLung', answerType: 'open' }, // whitespace collapse
    { prediction: 'liver', answer: 'spleen', answerType: 'open' },
  ];

  it('splits exact-match accuracy into open and closed, hand-counted', () => {
    const result = vqaAccuracy(records);
    expect(result.closed).toEqual({ correct: 2, total: 3, accuracy: 2 / 3 });
    expect(result.open).toEqual({ correct: 1, total: 2, accuracy: 0.5 });
    expect(result.overall).toEqual({ correct: 3, total: 5, accuracy: 0.6 });
  });

  it('gives NaN accuracy for an answer type with no question, and for no records at all', () => {
    const closedOnly = vqaAccuracy(records.filter((r) => r.answerType === 'closed'));
    expect(closedOnly.open.total).toBe(0);
    expect(closedOnly.open.accuracy).toBeNaN();
    expect(closedOnly.overall.accuracy).toBeCloseTo(2 / 3, 12);
    expect(vqaAccuracy([]).overall.accuracy).toBeNaN();
  });

  it('normalises by trimming, lower-casing and collapsing whitespace only', () => {
    expect(normalizeAnswer('  Left \n Lung ')).toBe('left lung');
    expect(normalizeAnswer('left-lung')).toBe('left-lung'); // punctuation is kept
    expect(vqaAccuracy([{ prediction: 'x-ray', answer: 'x ray', answerType: 'open' }]).overall.correct).toBe(0);
  });

  it('takes a custom normalisation', () => {
    const stripPunctuation = (s: string): string => normalizeAnswer(s.replace(/[^\w\s]/g, ' '));
    expect(vqaAccuracy([{ prediction: 'x-ray', answer: 'x ray', answerType: 'open' }], { normalize: stripPunctuation }).overall.correct).toBe(1);
  });

  it('rejects a bad answerType or a non-string answer, naming the record field', () => {
    const bad = [{ prediction: 'a', answer: 'a', answerType: 'yes/no' }] as unknown as VqaRecord[];
    expect(() => vqaAccuracy(bad)).toThrow(EvaluationInputError);
    expect(() => vqaAccuracy(bad)).toThrow(/records\[0\]\.answerType/);
    expect(() => vqaAccuracy([{ prediction: 'a', answer: 3, answerType: 'open' }] as unknown as VqaRecord[])).toThrow(/records\[0\]\.answer:/);
    expect(() => vqaAccuracy('abc' as unknown as VqaRecord[])).toThrow(/records/);
  });
});
