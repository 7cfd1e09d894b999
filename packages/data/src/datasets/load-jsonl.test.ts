import path from 'node:path';
import { InvalidConfigError } from '@umd/core';
import { describe, expect, it } from 'vitest';

import { DatasetNotFoundError } from '../errors/dataset-not-found-error.js';
import { EmptySplitError } from '../errors/empty-split-error.js';
import { fakeImage, jsonLines, rejection, writeDataset } from './__fixtures__/temp-dataset.js';
import { loadJsonl } from './load-jsonl.js';

describe('loadJsonl', () => {
  it('loads VQA lines: every <split>.jsonl is a split, train first; answer types given or derived', async () => {
    const root = await writeDataset({
      'test.jsonl': jsonLines([{ image: 'images/a.png', question: 'Is it normal?', answer: 'No' }]),
      'train.jsonl': jsonLines([
        { id: 'q1', image: 'images/a.png', question: 'Which organ?', answer: 'Liver', answer_type: 'OPEN' },
        { image: 'images/b.jpg', question: 'Is there a mass?', answer: 'yes', organ: 'lung' },
        { image: 'images/b.jpg', question: 'How many?', answer: 2 },
      ]),
      'images/a.png': fakeImage,
      'images/b.jpg': fakeImage,
    });
    const load = await loadJsonl({ root, task: 'vqa', name: 'my-vqa' });
    expect(Object.keys(load.splits)).toEqual(['train', 'test']);
    expect(load.splits['train']?.map((sample) => [sample.id, sample.answer, sample.answerType, sample.imageId])).toEqual([
      ['q1', 'liver', 'open', 'images/a'],
      ['train:2', 'yes', 'closed', 'images/b'],
      ['train:3', '2', 'open', 'images/b'],
    ]);
    expect(load.splits['train']?.[1]).toMatchObject({ dataset: 'my-vqa', source: { organ: 'lung' } });
    expect(load.splits['test']?.[0]?.answerType).toBe('closed');
  });

  it('loads caption and classification lines', async () => {
    const root = await writeDataset({
      'train.jsonl': jsonLines([{ image: 'a.png', caption: 'Axial CT.', label: 'Head', text: 'Axial CT.' }]),
      'a.png': fakeImage,
    });
    expect((await loadJsonl({ root, task: 'caption' })).splits['train']?.[0]).toMatchObject({ task: 'caption', caption: 'Axial CT.' });
    expect((await loadJsonl({ root, task: 'classification' })).splits['train']?.[0]).toMatchObject({
      task: 'classification',
      label: 'Head',
      text: 'Axial CT.',
      image: { kind: 'file', path: path.join(root, 'a.png') },
    });
  });

  it('skips and reports bad lines: malformed JSON, missing fields, unsafe or missing images', async () => {
    const root = await writeDataset({
      'train.jsonl': [
        JSON.stringify({ image: 'a.png', label: 'x' }),
        '{"image": "a.png", "label": }',
        JSON.stringify({ image: 'a.png' }),
        JSON.stringify({ image: '../a.png', label: 'x' }),
        JSON.stringify({ image: '/abs/a.png', label: 'x' }),
        JSON.stringify({ image: 'b.png', label: 'x' }),
        '[1, 2]',
      ].join('\n'),
      'a.png': fakeImage,
    });
    const load = await loadJsonl({ root, task: 'classification', onError: 'skip' });
    expect(load.splits['train']).toHaveLength(1);
    expect(load.skipped.map((entry) => [entry.line, entry.reason, entry.field ?? null])).toEqual([
      [2, 'malformed-record', null],
      [3, 'missing-field', 'label'],
      [4, 'unsafe-image-path', 'image'],
      [5, 'unsafe-image-path', 'image'],
      [6, 'missing-image', 'image'],
      [7, 'invalid-field', null],
    ]);
    expect(load.skipped[0]?.message).toContain('column 29');
  });

  it('requires a task, a .jsonl file and a non-empty split', async () => {
    const root = await writeDataset({ 'train.jsonl': '\n' });
    await expect(loadJsonl({ root } as never)).rejects.toThrow(InvalidConfigError);
    await expect(loadJsonl({ root, task: 'vqa' })).rejects.toThrow(EmptySplitError);
    const error = await rejection(async () => loadJsonl({ root: await writeDataset({ 'a.json': [] }), task: 'vqa' }));
    expect(error).toBeInstanceOf(DatasetNotFoundError);
  });
});
