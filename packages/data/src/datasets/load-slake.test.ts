import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { DatasetNotFoundError } from '../errors/dataset-not-found-error.js';
import { EmptySplitError } from '../errors/empty-split-error.js';
import { InvalidRecordError } from '../errors/invalid-record-error.js';
import { fakeImage, rejection, writeDataset } from './__fixtures__/temp-dataset.js';
import { loadSlake } from './load-slake.js';

function question(qid: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    img_id: 1,
    img_name: 'xmlab1/source.jpg',
    question: 'Does the picture contain liver?',
    answer: 'Yes',
    q_lang: 'en',
    location: 'Abdomen',
    modality: 'MRI',
    answer_type: 'CLOSED',
    base_type: 'vqa',
    content_type: 'Organ',
    triple: ['vhead', '_', '_'],
    qid,
    ...overrides,
  };
}

const images = { 'imgs/xmlab1/source.jpg': fakeImage, 'imgs/xmlab2/source.jpg': fakeImage };

describe('loadSlake', () => {
  it('loads the English questions of each split present and counts the others as filtered', async () => {
    const root = await writeDataset({
      ...images,
      'train.json': [
        question(0),
        question(1, { q_lang: 'zh', question: '图片中包含肝脏吗?', answer: '是' }),
        question(2, { answer: 'MRI', answer_type: 'OPEN', img_name: 'xmlab2/source.jpg' }),
      ],
      'validate.json': [question(3), question(4, { q_lang: 'zh' })],
    });
    const load = await loadSlake({ root });
    expect(Object.keys(load.splits)).toEqual(['train', 'validate']);
    expect(load.splits['train']?.map((sample) => [sample.id, sample.answer, sample.answerType, sample.imageId])).toEqual([
      ['0', 'yes', 'closed', 'xmlab1/source'],
      ['2', 'mri', 'open', 'xmlab2/source'],
    ]);
    expect(load.splits['train']?.[0]?.attributes).toEqual({ modality: 'MRI', location: 'Abdomen', content_type: 'Organ' });
    expect(load.filtered).toEqual([
      { split: 'train', count: 1, reason: "q_lang is not 'en'" },
      { split: 'validate', count: 1, reason: "q_lang is not 'en'" },
    ]);
  });

  it('selects another language or all of them', async () => {
    const root = await writeDataset({ ...images, 'train.json': [question(0), question(1, { q_lang: 'zh', answer: '是' })] });
    expect((await loadSlake({ root, language: 'zh' })).splits['train']?.map((sample) => sample.answer)).toEqual(['是']);
    expect((await loadSlake({ root, language: 'all' })).splits['train']).toHaveLength(2);
  });

  it('throws for a question whose image is missing, naming file and qid', async () => {
    const root = await writeDataset({ ...images, 'validate.json': [question(3), question(9835, { img_name: 'xmlab0/source.jpg' })] });
    const error = await rejection(() => loadSlake({ root }));
    expect(error).toBeInstanceOf(InvalidRecordError);
    expect(error).toMatchObject({ file: path.join(root, 'validate.json'), recordIndex: 1, recordId: '9835', problem: 'missing-image' });
  });

  it('skips and reports questions whose image is missing with onError: skip', async () => {
    const root = await writeDataset({ ...images, 'validate.json': [question(3), question(9835, { img_name: 'xmlab0/source.jpg' })] });
    const load = await loadSlake({ root, onError: 'skip' });
    expect(load.splits['validate']).toHaveLength(1);
    expect(load.skipped).toEqual([
      {
        split: 'validate',
        file: 'validate.json',
        recordIndex: 1,
        recordId: '9835',
        reason: 'missing-image',
        field: 'img_name',
        message: `image imgs/xmlab0/source.jpg does not exist under ${root}`,
      },
    ]);
  });

  it('rejects a split with no question in the chosen language', async () => {
    const root = await writeDataset({ ...images, 'train.json': [question(0)] });
    const error = await rejection(() => loadSlake({ root, language: 'zh' }));
    expect(error).toBeInstanceOf(EmptySplitError);
    expect((error as Error).message).toContain("0 of 1 records have q_lang 'zh'");
  });

  it('names the expected split files when none is there', async () => {
    const root = await writeDataset(images);
    const error = await rejection(() => loadSlake({ root }));
    expect(error).toBeInstanceOf(DatasetNotFoundError);
    expect((error as DatasetNotFoundError).expected).toEqual(['train.json', 'validate.json', 'test.json']);
  });
});
