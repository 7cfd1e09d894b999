import { generatePhantomDataset, type VqaSample } from '@umd/data';
import { describe, expect, it } from 'vitest';

import { textOnlyFloor } from './text-only-floor.js';

const vqa = (question: string, answer: string): VqaSample => ({
  task: 'vqa',
  id: `${question}:${answer}`,
  dataset: 'test',
  split: 'train',
  image: { kind: 'file', path: '/x.png' },
  imageId: 'x',
  question,
  answer,
  answerType: 'open',
  source: null,
});

describe('textOnlyFloor', () => {
  it('answers each question with its most frequent training answer, unseen questions with the overall one', () => {
    const train = [vqa('Is it CT?', 'yes'), vqa('is it  ct?', 'yes'), vqa('Is it CT?', 'no'), vqa('Which organ?', 'liver'), vqa('Which organ?', 'liver')];
    const test = [vqa('Is it CT?', 'yes'), vqa('Which organ?', 'spleen'), vqa('New question?', 'liver'), vqa('New question?', 'yes')];
    const floor = textOnlyFloor({ kind: 'vqa', answers: ['yes', 'no', 'liver'] }, train, test);
    expect(floor.value).toBe(0.5); // yes ✓, liver ✗, overall majority (liver, tie with yes broken alphabetically) ✓, ✗
  });

  it('is well below a perfect score on phantom VQA, whose answers depend on the image', () => {
    const phantom = generatePhantomDataset({ seed: 0, counts: { train: 200, validate: 0, test: 60 }, tasks: ['vqa'], size: 32 });
    const answers = [...new Set(phantom.splits.train.map((sample) => sample.answer))];
    const floor = textOnlyFloor({ kind: 'vqa', answers }, phantom.splits.train, phantom.splits.test);
    expect(floor.value).toBeGreaterThan(0.3);
    expect(floor.value).toBeLessThan(0.65);
  });

  it('gives the majority class for classification and chance for retrieval', () => {
    const phantom = generatePhantomDataset({ seed: 0, counts: { train: 100, validate: 0, test: 40 }, tasks: ['classification', 'caption'], size: 32 });
    const classification = phantom.splits.train.filter((sample) => sample.task === 'classification');
    const test = phantom.splits.test.filter((sample) => sample.task === 'classification');
    const floor = textOnlyFloor({ kind: 'classification', labels: phantom.labels }, classification, test);
    const majority = floor.name.match(/'(.+)'/)![1]!;
    expect(floor.value).toBe(test.filter((sample) => sample.label === majority).length / test.length);
    const captions = phantom.splits.test.filter((sample) => sample.task === 'caption');
    expect(textOnlyFloor({ kind: 'retrieval' }, [], captions).value).toBeCloseTo((1 / 40 + 5 / 40 + 10 / 40) / 3, 10);
  });
});
