import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { DatasetNotFoundError } from '../errors/dataset-not-found-error.js';
import { EmptySplitError } from '../errors/empty-split-error.js';
import { InvalidRecordError } from '../errors/invalid-record-error.js';
import { fakeImage, rejection, writeDataset } from './__fixtures__/temp-dataset.js';
import { loadVqaMed2019 } from './load-vqa-med-2019.js';

const training = 'ImageClef-2019-VQA-Med-Training';
const test = 'VQAMed2019Test';

describe('loadVqaMed2019', () => {
  it('reads the 3-field train format and the 4-field test format, with CRLF line ends', async () => {
    const root = await writeDataset({
      [`${training}/All_QA_Pairs_train.txt`]: 'synpic41148|what kind of image is this?|cta - ct angiography\r\nsynpic43984|is this a t1 weighted image?|No\r\n',
      [`${training}/Train_images/synpic41148.jpg`]: fakeImage,
      [`${training}/Train_images/synpic43984.jpg`]: fakeImage,
      [`${test}/VQAMed2019_Test_Questions_w_Ref_Answers.txt`]: 'synpic54082|modality|what modality is shown?|cta - ct angiography',
      [`${test}/VQAMed2019_Test_Images/synpic54082.jpg`]: fakeImage,
    });
    const load = await loadVqaMed2019({ root });
    expect(Object.keys(load.splits)).toEqual(['train', 'test']);
    expect(load.splits['train']?.map((sample) => [sample.id, sample.question, sample.answer, sample.answerType])).toEqual([
      ['train:1', 'what kind of image is this?', 'cta - ct angiography', 'open'],
      ['train:2', 'is this a t1 weighted image?', 'no', 'closed'],
    ]);
    const [first] = load.splits['test'] ?? [];
    expect(first).toMatchObject({
      imageId: 'synpic54082',
      image: { kind: 'file', path: path.join(root, test, 'VQAMed2019_Test_Images/synpic54082.jpg') },
      source: {
        text: 'synpic54082|modality|what modality is shown?|cta - ct angiography',
        synpicId: 'synpic54082',
        category: 'modality',
        question: 'what modality is shown?',
        answer: 'cta - ct angiography',
      },
    });
  });

  it('throws on a line with the wrong number of fields, naming file and line', async () => {
    const file = `${training}/All_QA_Pairs_train.txt`;
    const root = await writeDataset({
      [file]: 'synpic1|q?|a\nsynpic1|only two\n',
      [`${training}/Train_images/synpic1.jpg`]: fakeImage,
    });
    const error = await rejection(() => loadVqaMed2019({ root }));
    expect(error).toBeInstanceOf(InvalidRecordError);
    expect(error).toMatchObject({ file: path.join(root, file), line: 2, recordIndex: 1, problem: 'malformed-record' });
    expect((error as Error).message).toContain(':2, record 1 (id "train:2"): expected 3');
  });

  it('skips malformed lines, empty fields and missing images with onError: skip', async () => {
    const root = await writeDataset({
      [`${training}/All_QA_Pairs_train.txt`]: 'synpic1|q?|a\nsynpic1|only two\nsynpic1||a\nsynpic9|q?|a\n',
      [`${training}/Train_images/synpic1.jpg`]: fakeImage,
    });
    const load = await loadVqaMed2019({ root, onError: 'skip' });
    expect(load.splits['train']).toHaveLength(1);
    expect(load.skipped.map((entry) => [entry.line, entry.reason, entry.field])).toEqual([
      [2, 'malformed-record', undefined],
      [3, 'missing-field', 'question'],
      [4, 'missing-image', 'synpicID'],
    ]);
  });

  it('rejects an empty QA file and a QA file without its image folder', async () => {
    const empty = await writeDataset({ [`${training}/All_QA_Pairs_train.txt`]: '\n\n', [`${training}/Train_images/x.jpg`]: fakeImage });
    await expect(loadVqaMed2019({ root: empty })).rejects.toThrow(EmptySplitError);
    const noImages = await writeDataset({ [`${training}/All_QA_Pairs_train.txt`]: 'synpic1|q?|a\n' });
    const error = await rejection(() => loadVqaMed2019({ root: noImages }));
    expect(error).toBeInstanceOf(DatasetNotFoundError);
    expect((error as Error).message).toContain('Train_images');
  });

  it('lists the official files when none is there', async () => {
    const root = await writeDataset({ 'readme.txt': 'x' });
    const error = await rejection(() => loadVqaMed2019({ root }));
    expect((error as DatasetNotFoundError).expected).toHaveLength(3);
  });
});
