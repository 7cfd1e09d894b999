import { InvalidConfigError } from '@umd/core';
import { describe, expect, it } from 'vitest';

import type { VqaSample } from '../sample.js';
import { measureAnswerCoverage } from './answer-coverage.js';
import { buildAnswerVocabulary } from './answer-vocabulary.js';

function sample(split: string, answer: string, answerType: VqaSample['answerType'] = 'open'): VqaSample {
  return {
    task: 'vqa',
    id: `${split}:${answer}`,
    dataset: 'test',
    split,
    image: { kind: 'file', path: '/x.jpg' },
    imageId: 'x',
    question: '?',
    answer,
    answerType,
    source: null,
  };
}

const splits = {
  train: [sample('train', 'yes', 'closed'), sample('train', 'liver'), sample('train', 'yes', 'closed'), sample('train', 'ct')],
  test: [sample('test', 'yes', 'closed'), sample('test', 'spleen'), sample('test', 'spleen'), sample('test', 'maybe', 'closed')],
};

describe('buildAnswerVocabulary', () => {
  it('builds from the training split by default, most frequent first, ties alphabetical', () => {
    const vocabulary = buildAnswerVocabulary(splits);
    expect(vocabulary).toMatchObject({ source: 'train', builtFrom: ['train'], answers: ['yes', 'ct', 'liver'], counts: [2, 1, 1] });
    expect(vocabulary.index.get('liver')).toBe(2);
  });

  it("reproduces M3AE's convention (answers of all splits) with source 'all'", () => {
    const vocabulary = buildAnswerVocabulary(splits, { source: 'all' });
    expect(vocabulary.builtFrom).toEqual(['train', 'test']);
    expect(vocabulary.answers).toEqual(['yes', 'spleen', 'ct', 'liver', 'maybe']);
  });

  it('names the available splits when the training split is absent', () => {
    expect(() => buildAnswerVocabulary(splits, { trainSplit: 'training' })).toThrow(InvalidConfigError);
    expect(() => buildAnswerVocabulary(splits, { trainSplit: 'training' })).toThrow('a split of the dataset (train, test)');
  });
});

describe('measureAnswerCoverage', () => {
  it('counts evaluation answers outside the vocabulary, by answer type', () => {
    const coverage = measureAnswerCoverage(buildAnswerVocabulary(splits), splits.test);
    expect(coverage).toEqual({
      questions: 4,
      outside: 3,
      outsideRate: 0.75,
      outsideByType: { open: 2, closed: 1 },
      outsideAnswers: [
        { answer: 'spleen', count: 2 },
        { answer: 'maybe', count: 1 },
      ],
    });
    expect(measureAnswerCoverage(buildAnswerVocabulary(splits, { source: 'all' }), splits.test).outside).toBe(0);
    expect(measureAnswerCoverage(buildAnswerVocabulary(splits), []).outsideRate).toBe(0);
  });
});
