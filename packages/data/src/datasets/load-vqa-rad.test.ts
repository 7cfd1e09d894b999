import path from 'node:path';
import { InvalidConfigError } from '@umd/core';
import { describe, expect, it } from 'vitest';

import { DatasetNotFoundError } from '../errors/dataset-not-found-error.js';
import { DatasetParseError } from '../errors/dataset-parse-error.js';
import { EmptySplitError } from '../errors/empty-split-error.js';
import { InvalidRecordError } from '../errors/invalid-record-error.js';
import { fakeImage, rejection, writeDataset } from './__fixtures__/temp-dataset.js';
import { loadVqaRad } from './load-vqa-rad.js';

/** A record in the official/MEVF shape. */
function question(qid: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    qid,
    image_name: 'synpic1.jpg',
    image_organ: 'HEAD',
    answer: 'Yes',
    answer_type: 'CLOSED',
    question_type: 'PRES',
    question: `Question ${qid}?`,
    phrase_type: 'freeform',
    ...overrides,
  };
}

async function mevf(train: unknown[], test: unknown[] = [question(100)]): Promise<string> {
  return writeDataset({
    'trainset.json': train,
    'testset.json': test,
    'images/synpic1.jpg': fakeImage,
    'images/synpic2.jpg': fakeImage,
  });
}

describe('loadVqaRad (MEVF split, the default)', () => {
  it('loads trainset.json and testset.json with normalised answers and answer types', async () => {
    const root = await mevf([
      question(1),
      question(2, { answer: 4, answer_type: 'OPEN', image_name: 'synpic2.jpg' }),
      question(3, { answer: ' No ', answer_type: 'CLOSED ' }),
      question(4, { answer: 'Left  Lung', answer_type: 'open' }),
    ]);
    const load = await loadVqaRad({ root });
    expect(load).toMatchObject({ name: 'vqa-rad', task: 'vqa', root, skipped: [], filtered: [] });
    expect(Object.keys(load.splits)).toEqual(['train', 'test']);
    const train = load.splits['train'] ?? [];
    expect(train.map((sample) => [sample.id, sample.answer, sample.answerType])).toEqual([
      ['1', 'yes', 'closed'],
      ['2', '4', 'open'],
      ['3', 'no', 'closed'],
      ['4', 'left lung', 'open'],
    ]);
    expect(train[1]).toMatchObject({
      dataset: 'vqa-rad',
      split: 'train',
      imageId: 'synpic2',
      image: { kind: 'file', path: path.join(root, 'images/synpic2.jpg') },
      question: 'Question 2?',
    });
    expect(train[1]?.source).toEqual(question(2, { answer: 4, answer_type: 'OPEN', image_name: 'synpic2.jpg' }));
    expect(train[0]?.attributes).toEqual({ image_organ: 'HEAD', question_type: 'PRES' });
    expect(load.splits['test']).toHaveLength(1);
  });

  it('throws a typed error naming the file, record and field when a field is missing', async () => {
    const { answer: _answer, ...withoutAnswer } = question(7);
    const root = await mevf([question(1), withoutAnswer]);
    const error = await rejection(() => loadVqaRad({ root }));
    expect(error).toBeInstanceOf(InvalidRecordError);
    expect(error).toMatchObject({
      file: path.join(root, 'trainset.json'),
      split: 'train',
      recordIndex: 1,
      recordId: '7',
      problem: 'missing-field',
      field: 'answer',
    });
    expect((error as Error).message).toContain('trainset.json, record 1 (id "7"): field \'answer\' is missing');
  });

  it('skips and reports every bad record with onError: skip', async () => {
    const root = await mevf([
      question(1),
      question(2, { image_name: 'synpic404.jpg' }),
      question(3, { image_name: '../../etc/passwd' }),
      question(4, { image_name: '/etc/passwd' }),
      question(5, { answer_type: 'MAYBE' }),
      'not an object',
    ]);
    const load = await loadVqaRad({ root, onError: 'skip' });
    expect(load.splits['train']?.map((sample) => sample.id)).toEqual(['1']);
    expect(load.skipped).toEqual([
      expect.objectContaining({ split: 'train', file: 'trainset.json', recordIndex: 1, recordId: '2', reason: 'missing-image' }),
      expect.objectContaining({ recordIndex: 2, recordId: '3', reason: 'unsafe-image-path', field: 'image_name' }),
      expect.objectContaining({ recordIndex: 3, recordId: '4', reason: 'unsafe-image-path' }),
      expect.objectContaining({ recordIndex: 4, recordId: '5', reason: 'invalid-field', field: 'answer_type' }),
      expect.objectContaining({ recordIndex: 5, reason: 'invalid-field' }),
    ]);
    expect(load.skipped[0]?.message).toContain('images/synpic404.jpg does not exist');
  });

  it('reports malformed JSON with its line and column', async () => {
    const root = await writeDataset({
      'trainset.json': '[\n  {"qid": 1,\n   "answer": "yes"\n   "question": "x"}\n]',
      'testset.json': [question(2)],
      'images/synpic1.jpg': fakeImage,
    });
    const error = await rejection(() => loadVqaRad({ root, onError: 'skip' }));
    expect(error).toBeInstanceOf(DatasetParseError);
    expect(error).toMatchObject({ file: path.join(root, 'trainset.json'), line: 4, column: 4 });
  });

  it('rejects an empty split', async () => {
    const root = await mevf([]);
    const error = await rejection(() => loadVqaRad({ root }));
    expect(error).toBeInstanceOf(EmptySplitError);
    expect(error).toMatchObject({ split: 'train', file: path.join(root, 'trainset.json') });
  });

  it('names the missing folder', async () => {
    const error = await rejection(() => loadVqaRad({ root: '/nonexistent/vqa-rad' }));
    expect(error).toBeInstanceOf(DatasetNotFoundError);
    expect((error as Error).message).toContain('/nonexistent/vqa-rad does not exist');
  });

  it('points to the official scheme when only the official JSON is there', async () => {
    const root = await writeDataset({ 'VQA_RAD Dataset Public.json': [question(1)], 'VQA_RAD Image Folder/synpic1.jpg': fakeImage });
    const error = await rejection(() => loadVqaRad({ root }));
    expect(error).toBeInstanceOf(DatasetNotFoundError);
    expect((error as Error).message).toContain("scheme 'official'");
  });

  it('rejects an unknown scheme or policy with the allowed values', async () => {
    const root = await mevf([question(1)]);
    await expect(loadVqaRad({ root, scheme: 'm3ae' as never })).rejects.toThrow(InvalidConfigError);
    await expect(loadVqaRad({ root, onError: 'ignore' as never })).rejects.toThrow("Allowed: 'throw', 'skip'");
  });
});

describe('loadVqaRad (official split)', () => {
  it('splits VQA_RAD Dataset Public.json by phrase_type and reads the OSF image folder', async () => {
    const root = await writeDataset({
      'VQA_RAD Dataset Public.json': [
        question(0, { phrase_type: 'freeform' }),
        question(1, { phrase_type: 'para' }),
        question(2, { phrase_type: 'test_freeform' }),
        question(3, { phrase_type: 'test_para' }),
        question(4, { phrase_type: 'frame' }),
      ],
      'VQA_RAD Image Folder/synpic1.jpg': fakeImage,
    });
    const load = await loadVqaRad({ root, scheme: 'official', onError: 'skip' });
    expect(load.splits['train']?.map((sample) => sample.id)).toEqual(['0', '1']);
    expect(load.splits['test']?.map((sample) => sample.id)).toEqual(['2', '3']);
    expect(load.skipped).toEqual([expect.objectContaining({ split: 'unassigned', recordId: '4', reason: 'invalid-field', field: 'phrase_type' })]);
  });
});
