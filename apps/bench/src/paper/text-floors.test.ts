import { generatePhantomDataset, type ClassificationSample, type VqaSample } from '@umd/data';
import { textOnlyFloor } from '@umd/trainer';
import { describe, expect, it } from 'vitest';

import { textFloors } from './text-floors.js';

const image = { kind: 'file', path: '/none.png' } as const;
let next = 0;
function vqa(question: string, answer: string, answerType: 'open' | 'closed' = 'closed'): VqaSample {
  next += 1;
  return { id: `q${next}`, dataset: 'test', split: 'train', image, imageId: `i${next}`, source: null, task: 'vqa', question, answer, answerType };
}
function labelled(text: string, label: string): ClassificationSample {
  next += 1;
  return { id: `c${next}`, dataset: 'test', split: 'train', image, imageId: `i${next}`, source: null, task: 'classification', text, label };
}

describe('textFloors', () => {
  it('VQA: per-question majority and a tf-idf 5-NN vote over the training questions', () => {
    const train = [
      vqa('Is there a mass?', 'yes'),
      vqa('is there a  mass?', 'yes'),
      vqa('Is there a mass?', 'no'),
      vqa('Which organ is shown?', 'liver', 'open'),
      vqa('Which organ is enlarged?', 'spleen', 'open'),
      vqa('Which organ is enlarged here?', 'spleen', 'open'),
      vqa('Is it normal?', 'yes'), // 'yes' is the most frequent answer overall (3)
    ];
    const test = [
      vqa('IS THERE A MASS?', 'yes'), // majority: yes (2 of 3) ✓; 5-NN: the 3 mass questions, 'is it normal', one organ question → yes ✓
      vqa('Which organ is enlarged in the abdomen?', 'spleen', 'open'), // majority: unseen → overall 'yes' ✗; 5-NN: the enlarged-organ questions → spleen ✓
      vqa('Which organ is shown?', 'kidney', 'open'), // majority: liver ✗; 5-NN ✗
    ];
    const [majority, knn] = textFloors('vqa', train, test);
    expect(majority?.name).toBe('majority');
    expect(majority?.metrics).toEqual({ overall: 1 / 3, open: 0, closed: 1 });
    expect(knn?.name).toBe('tfidf-knn');
    expect(knn?.metrics).toEqual({ overall: 2 / 3, open: 1 / 2, closed: 1 });
  });

  it('agrees with the trainer’s question-only floor on phantom data', () => {
    const phantom = generatePhantomDataset({ seed: 3, counts: { train: 40, validate: 0, test: 20 }, size: 32, tasks: ['vqa'] });
    const [majority] = textFloors('vqa', phantom.splits.train, phantom.splits.test);
    const floor = textOnlyFloor({ kind: 'vqa', answers: [] }, phantom.splits.train, phantom.splits.test);
    expect(majority?.metrics['overall']).toBeCloseTo(floor.value, 12);
  });

  it('classification: majority class and caption-only 5-NN, with accuracy and macro-F1', () => {
    const train = [
      labelled('axial ct of the brain', 'Head'),
      labelled('mri of the brain with contrast', 'Head'),
      labelled('brain lesion on mri', 'Head'),
      labelled('chest radiograph lung nodule', 'Thorax'),
      labelled('ct chest showing lung mass', 'Thorax'),
    ];
    const test = [labelled('lung nodule on chest ct', 'Thorax'), labelled('brain mri', 'Head')];
    const [majority, knn] = textFloors('classification', train, test);
    expect(majority?.metrics['accuracy']).toBe(0.5); // always 'Head'
    expect(majority?.metrics['macroF1']).toBeCloseTo((2 / 3 + 0) / 2, 12); // Head: P 1/2, R 1 → 2/3; Thorax: 0
    expect(knn?.metrics).toEqual({ accuracy: 1, macroF1: 1 }); // neighbours are the captions sharing a word: lung/chest/ct → Thorax, brain/mri → Head
  });

  it('retrieval: chance recall of the split’s images', () => {
    const captions = Array.from({ length: 20 }, (_, i) => ({ ...vqa('x', 'y'), imageId: `img${i}` }));
    const [chance] = textFloors('retrieval', [], captions);
    expect(chance?.metrics['t2i.r1']).toBeCloseTo(1 / 20, 12);
    expect(chance?.metrics['i2t.r10']).toBeCloseTo(10 / 20, 12);
    expect(chance?.metrics['meanRecall']).toBeCloseTo((1 + 5 + 10) / 20 / 3, 12);
  });
});
