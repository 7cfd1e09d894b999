import path from 'node:path';

import { DatasetNotFoundError } from '../errors/dataset-not-found-error.js';
import { EmptySplitError } from '../errors/empty-split-error.js';
import type { RecordLocation } from '../errors/invalid-record-error.js';
import { normalizeAnswer, type VqaSample } from '../sample.js';
import { parseAnswerType } from './answer-type.js';
import { checkChoice, onErrorChoices, type DatasetLoad, type DatasetLoadOptions, type FilteredRecords } from './dataset-load.js';
import { pathKind, requireDatasetRoot, requireExisting, requireRecords } from './dataset-files.js';
import { ImageResolver } from './image-resolver.js';
import { readJsonArray } from './read-json.js';
import { asObject, idOf, recordAttributes, requiredText } from './record-fields.js';
import { SkipLog } from './skip-log.js';

/** SLAKE question language (`q_lang`): English, Chinese, or both. */
export type SlakeLanguage = 'en' | 'zh' | 'all';

export interface LoadSlakeOptions extends DatasetLoadOptions {
  /** Default `'en'`, as the paper benchmarks (and M3AE) use. */
  readonly language?: SlakeLanguage;
}

const dataset = 'slake';
const splitFiles = [
  ['train', 'train.json'],
  ['validate', 'validate.json'],
  ['test', 'test.json'],
] as const;

/**
 * Loads SLAKE 1.0 (Liu et al., 2021): `train.json` / `validate.json` / `test.json` (those present) with images at
 * `imgs/xmlabN/source.jpg`. Questions in other languages are left out and counted in `filtered`.
 */
export async function loadSlake(options: LoadSlakeOptions): Promise<DatasetLoad<VqaSample>> {
  const language = checkChoice<SlakeLanguage>('language', options.language, ['en', 'zh', 'all'], 'en');
  const onError = checkChoice('onError', options.onError, onErrorChoices, 'throw');
  const root = await requireDatasetRoot(dataset, options.root, ['train.json', 'validate.json', 'test.json', 'imgs/']);
  const imageFolder = await requireExisting(dataset, root, ['imgs'], 'directory');
  const resolver = new ImageResolver(root, imageFolder);
  const log = new SkipLog(root, onError);
  const splits: Record<string, VqaSample[]> = {};
  const filtered: FilteredRecords[] = [];

  for (const [split, name] of splitFiles) {
    const file = path.join(root, name);
    if ((await pathKind(file)) !== 'file') continue;
    const records = await readJsonArray(file);
    requireRecords(dataset, split, file, records.length);
    let otherLanguage = 0;
    splits[split] = await log.collect(
      records,
      (record, index): RecordLocation => {
        const recordId = idOf(record, 'qid');
        return recordId === undefined ? { file, split, recordIndex: index } : { file, split, recordIndex: index, recordId };
      },
      async (value, location) => {
        const record = asObject(value, location);
        if (language !== 'all' && requiredText(record, 'q_lang', location) !== language) {
          otherLanguage++;
          return undefined;
        }
        const question = requiredText(record, 'question', location).trim();
        const answer = normalizeAnswer(requiredText(record, 'answer', location));
        const answerType = parseAnswerType(record['answer_type'], 'answer_type', location);
        const { image, imageId } = await resolver.resolve(requiredText(record, 'img_name', location), location, 'img_name');
        const id = requiredText(record, 'qid', location);
        const attributes = recordAttributes(record, { modality: ['modality'], location: ['location'], content_type: ['content_type'] });
        return { task: 'vqa' as const, id, dataset, split, image, imageId, question, answer, answerType, attributes, source: value };
      },
    );
    if (otherLanguage > 0) filtered.push({ split, count: otherLanguage, reason: `q_lang is not '${language}'` });
    if (otherLanguage === records.length) {
      throw new EmptySplitError(dataset, split, file, `0 of ${records.length} records have q_lang '${language}'`);
    }
  }
  if (Object.keys(splits).length === 0) {
    throw new DatasetNotFoundError(
      dataset,
      path.join(root, 'train.json'),
      splitFiles.map(([, name]) => name),
      'None of the split files is there.',
    );
  }
  return { name: dataset, task: 'vqa', root, splits, skipped: log.skipped, filtered };
}
