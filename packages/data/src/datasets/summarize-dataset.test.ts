import { describe, expect, it } from 'vitest';

import { fakeImage, writeDataset } from './__fixtures__/temp-dataset.js';
import { loadSlake } from './load-slake.js';
import { loadMelinda } from './load-melinda.js';
import { summarizeDataset } from './summarize-dataset.js';

function question(qid: number, answer: string, answerType: string, image = 'xmlab1/source.jpg', q_lang = 'en'): Record<string, unknown> {
  return { qid, img_name: image, question: '?', answer, answer_type: answerType, q_lang };
}

describe('summarizeDataset', () => {
  it('reports samples, images, missing images, skips, filters, answer types and coverage per split', async () => {
    const root = await writeDataset({
      'imgs/xmlab1/source.jpg': fakeImage,
      'imgs/xmlab2/source.jpg': fakeImage,
      'train.json': [question(0, 'Yes', 'CLOSED'), question(1, 'Liver', 'OPEN', 'xmlab2/source.jpg'), question(2, '是', 'CLOSED', 'xmlab1/source.jpg', 'zh')],
      'validate.json': [question(3, 'No', 'CLOSED'), question(4, 'Spleen', 'OPEN'), question(5, 'Liver', 'OPEN', 'xmlab0/source.jpg'), question(6, '', 'OPEN')],
    });
    const summary = summarizeDataset(await loadSlake({ root, onError: 'skip' }), { outsideAnswerLimit: 5 });
    expect(summary.splits['train']).toEqual({
      records: 2,
      samples: 2,
      distinctImages: 2,
      missingImages: 0,
      skipped: { count: 0, byReason: {} },
      filtered: 1,
      answerTypes: { open: 1, closed: 1 },
    });
    expect(summary.splits['validate']).toEqual({
      records: 4,
      samples: 2,
      distinctImages: 1,
      missingImages: 1,
      skipped: { count: 2, byReason: { 'missing-image': 1, 'missing-field': 1 } },
      filtered: 0,
      answerTypes: { open: 1, closed: 1 },
      answerCoverage: {
        questions: 2,
        outside: 2,
        outsideRate: 1,
        outsideByType: { open: 1, closed: 1 },
        outsideDistinct: 2,
        outsideAnswers: [
          { answer: 'no', count: 1 },
          { answer: 'spleen', count: 1 },
        ],
      },
    });
    expect(summary.vocabulary).toEqual({ source: 'train', builtFrom: ['train'], size: 2 });
    expect(summary.skipped).toHaveLength(2);
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });

  it('says why there is no vocabulary without a training split', async () => {
    const root = await writeDataset({ 'imgs/xmlab1/source.jpg': fakeImage, 'validate.json': [question(0, 'Yes', 'CLOSED')] });
    const summary = summarizeDataset(await loadSlake({ root }));
    expect(summary.vocabulary).toEqual({ source: 'train', unavailable: "no 'train' split was loaded" });
    expect(summary.splits['validate']?.answerCoverage).toBeUndefined();
  });

  it('counts labels for classification, most frequent first', async () => {
    const root = await writeDataset({
      'train.csv': 'figure_file,caption,i_meth_label\na.jpg,x,B\na.jpg,y,A\na.jpg,z,A\n',
      'melinda_images/a.jpg': fakeImage,
    });
    const summary = summarizeDataset(await loadMelinda({ root }));
    expect(summary.splits['train']?.labels).toEqual({ A: 2, B: 1 });
    expect(Object.keys(summary.splits['train']?.labels ?? {})).toEqual(['A', 'B']);
    expect(summary.vocabulary).toBeUndefined();
  });
});
