import path from 'node:path';

import { InvalidRecordError, type RecordLocation } from '../errors/invalid-record-error.js';
import { normalizeAnswer, type VqaSample } from '../sample.js';
import { parseAnswerType } from './answer-type.js';
import { checkChoice, onErrorChoices, type DatasetLoad, type DatasetLoadOptions } from './dataset-load.js';
import { firstExisting, requireDatasetRoot, requireExisting, requireRecords } from './dataset-files.js';
import { ImageResolver } from './image-resolver.js';
import { readJsonArray } from './read-json.js';
import { asObject, idOf, recordAttributes, requiredText } from './record-fields.js';
import { SkipLog } from './skip-log.js';

/**
 * Which VQA-RAD split to use. `mevf` (default): `trainset.json` / `testset.json`, 3064 / 451 questions, the split of
 * MEVF that papers report (its train set adds 1267 `frame` rephrasings). `official`: `VQA_RAD Dataset Public.json`
 * split by `phrase_type` (`freeform` + `para` = train 1797, `test_freeform` + `test_para` = test 451).
 */
export type VqaRadScheme = 'mevf' | 'official';

export interface LoadVqaRadOptions extends DatasetLoadOptions {
  /** Default `'mevf'`. */
  readonly scheme?: VqaRadScheme;
}

const dataset = 'vqa-rad';
const officialFile = 'VQA_RAD Dataset Public.json';
const mevfFiles = [
  ['train', 'trainset.json'],
  ['test', 'testset.json'],
] as const;
/** `images/` in MEVF's `data_RAD`, `VQA_RAD Image Folder/` in the OSF release. */
const imageFolders = ['images', 'VQA_RAD Image Folder'];
const officialSplits: Readonly<Record<string, string>> = {
  freeform: 'train',
  para: 'train',
  test_freeform: 'test',
  test_para: 'test',
};

/**
 * Loads VQA-RAD (Lau et al., 2018). Answers are normalised (`4` -> `"4"`, `"Yes"` -> `"yes"`), `answer_type` is read
 * with its stray spaces (`"CLOSED "`) tolerated, and each sample keeps its original record in `source`.
 */
export async function loadVqaRad(options: LoadVqaRadOptions): Promise<DatasetLoad<VqaSample>> {
  const scheme = checkChoice<VqaRadScheme>('scheme', options.scheme, ['mevf', 'official'], 'mevf');
  const onError = checkChoice('onError', options.onError, onErrorChoices, 'throw');
  const root = await requireDatasetRoot(dataset, options.root, [officialFile, 'trainset.json', 'testset.json', 'images/']);
  const imageFolder = await requireExisting(dataset, root, imageFolders, 'directory');
  const resolver = new ImageResolver(root, imageFolder);
  const log = new SkipLog(root, onError);
  const splits: Record<string, VqaSample[]> = {};

  const convert = async (value: unknown, location: RecordLocation): Promise<VqaSample> => {
    const record = asObject(value, location);
    const question = requiredText(record, 'question', location).trim();
    const answer = normalizeAnswer(requiredText(record, 'answer', location));
    const answerType = parseAnswerType(record['answer_type'], 'answer_type', location);
    const { image, imageId } = await resolver.resolve(requiredText(record, 'image_name', location), location, 'image_name');
    const id = requiredText(record, 'qid', location);
    const attributes = recordAttributes(record, { image_organ: ['image_organ'], question_type: ['question_type'] });
    return { task: 'vqa', id, dataset, split: location.split, image, imageId, question, answer, answerType, attributes, source: value };
  };

  if (scheme === 'mevf') {
    for (const [split, name] of mevfFiles) {
      const hint = (await firstExisting(root, [officialFile], 'file'))
        ? `This folder has the official '${officialFile}': load it with scheme 'official' (umd-data: --scheme official).`
        : "MEVF's split files come with MEVF (data_RAD/); see the @umd/data README.";
      const file = path.join(root, await requireExisting(dataset, root, [name], 'file', hint));
      const records = await readJsonArray(file);
      requireRecords(dataset, split, file, records.length);
      splits[split] = await log.collect(records, (record, index) => locate(file, split, index, record), convert);
    }
  } else {
    const file = path.join(root, await requireExisting(dataset, root, [officialFile], 'file'));
    const records = await readJsonArray(file);
    requireRecords(dataset, 'train', file, records.length);
    splits['train'] = [];
    splits['test'] = [];
    for (const [index, value] of records.entries()) {
      const phrase = idOf(value, 'phrase_type');
      const split = phrase === undefined ? undefined : officialSplits[phrase];
      const location = locate(file, split ?? 'unassigned', index, value);
      const sample = await log.attempt(location, () => {
        if (split === undefined) {
          throw new InvalidRecordError(
            location,
            phrase === undefined ? 'missing-field' : 'invalid-field',
            phrase === undefined
              ? "field 'phrase_type' is missing"
              : `field 'phrase_type' is ${JSON.stringify(phrase)}, expected one of ${Object.keys(officialSplits).join(', ')}`,
            'phrase_type',
          );
        }
        return convert(value, location);
      });
      if (sample !== undefined) splits[sample.split]?.push(sample);
    }
  }
  return { name: dataset, task: 'vqa', root, splits, skipped: log.skipped, filtered: [] };
}

function locate(file: string, split: string, recordIndex: number, record: unknown): RecordLocation {
  const recordId = idOf(record, 'qid');
  return recordId === undefined ? { file, split, recordIndex } : { file, split, recordIndex, recordId };
}
