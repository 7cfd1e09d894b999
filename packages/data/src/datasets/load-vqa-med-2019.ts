import path from 'node:path';

import { DatasetNotFoundError } from '../errors/dataset-not-found-error.js';
import { InvalidRecordError, type RecordLocation } from '../errors/invalid-record-error.js';
import { normalizeAnswer, type VqaSample } from '../sample.js';
import { deriveAnswerType } from './answer-type.js';
import { checkChoice, onErrorChoices, type DatasetLoad, type DatasetLoadOptions } from './dataset-load.js';
import { pathKind, requireDatasetRoot, requireExisting, requireRecords } from './dataset-files.js';
import { ImageResolver } from './image-resolver.js';
import { readTextLines } from './read-json.js';
import { SkipLog } from './skip-log.js';

export type LoadVqaMed2019Options = DatasetLoadOptions;

const dataset = 'vqa-med-2019';
/** The official archives, unpacked side by side: QA text file and image folder per split. */
const layout = [
  {
    split: 'train',
    text: 'ImageClef-2019-VQA-Med-Training/All_QA_Pairs_train.txt',
    images: 'ImageClef-2019-VQA-Med-Training/Train_images',
  },
  {
    split: 'validation',
    text: 'ImageClef-2019-VQA-Med-Validation/All_QA_Pairs_val.txt',
    images: 'ImageClef-2019-VQA-Med-Validation/Val_images',
  },
  {
    split: 'test',
    text: 'VQAMed2019Test/VQAMed2019_Test_Questions_w_Ref_Answers.txt',
    images: 'VQAMed2019Test/VQAMed2019_Test_Images',
  },
] as const;

/** The source of a VQA-Med 2019 sample: the line as written, and its fields. */
export interface VqaMed2019Record {
  readonly text: string;
  readonly synpicId: string;
  /** Only in the test file: `modality`, `plane`, `organ` or `abnormality`. */
  readonly category?: string;
  readonly question: string;
  /** As written; the test file marks alternatives with `#` and optional parts with `( )`. */
  readonly answer: string;
}

/**
 * Loads ImageCLEF VQA-Med 2019 from its `synpicID|question|answer` text files (the test file has a fourth field,
 * `synpicID|category|question|answer`). Splits whose text file is absent are not loaded. The dataset gives no answer
 * type, so yes/no answers are `closed` and all others `open`.
 */
export async function loadVqaMed2019(options: LoadVqaMed2019Options): Promise<DatasetLoad<VqaSample>> {
  const onError = checkChoice('onError', options.onError, onErrorChoices, 'throw');
  const root = await requireDatasetRoot(
    dataset,
    options.root,
    layout.map((entry) => entry.text),
  );
  const log = new SkipLog(root, onError);
  const splits: Record<string, VqaSample[]> = {};

  for (const { split, text, images } of layout) {
    const file = path.join(root, text);
    if ((await pathKind(file)) !== 'file') continue;
    await requireExisting(dataset, root, [images], 'directory', `The QA file ${text} is there but its images are not.`);
    const resolver = new ImageResolver(root, images, ['.jpg', '.png']);
    const lines = await readTextLines(file);
    requireRecords(dataset, split, file, lines.length);
    splits[split] = await log.collect(
      lines,
      ({ line }, index): RecordLocation => ({ file, split, recordIndex: index, line, recordId: `${split}:${line}` }),
      async ({ content }, location) => {
        const record = parseLine(content, location);
        const { image, imageId } = await resolver.resolve(record.synpicId, location, 'synpicID');
        const answer = normalizeAnswer(record.answer);
        return {
          task: 'vqa' as const,
          id: location.recordId ?? '',
          dataset,
          split,
          image,
          imageId,
          question: record.question,
          answer,
          answerType: deriveAnswerType(answer),
          source: record,
        };
      },
    );
  }
  if (Object.keys(splits).length === 0) {
    throw new DatasetNotFoundError(
      dataset,
      path.join(root, layout[0].text),
      layout.map((entry) => entry.text),
      'None of the QA files is there; unpack the official archives into this folder.',
    );
  }
  return { name: dataset, task: 'vqa', root, splits, skipped: log.skipped, filtered: [] };
}

function parseLine(text: string, location: RecordLocation): VqaMed2019Record {
  const fields = text.split('|').map((field) => field.trim());
  if (fields.length !== 3 && fields.length !== 4) {
    throw new InvalidRecordError(
      location,
      'malformed-record',
      `expected 3 '|'-separated fields (synpicID|question|answer) or 4 (synpicID|category|question|answer), got ${fields.length}`,
    );
  }
  const names = fields.length === 3 ? ['synpicID', 'question', 'answer'] : ['synpicID', 'category', 'question', 'answer'];
  fields.forEach((field, index) => {
    if (field === '') throw new InvalidRecordError(location, 'missing-field', `field '${names[index]}' is empty`, names[index]);
  });
  const [synpicId = '', ...rest] = fields;
  const [question = '', answer = ''] = rest.slice(-2);
  return rest.length === 3 ? { text, synpicId, category: rest[0] ?? '', question, answer } : { text, synpicId, question, answer };
}
