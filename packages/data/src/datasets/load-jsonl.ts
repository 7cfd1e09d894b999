import { readdir } from 'node:fs/promises';
import path from 'node:path';

import { DatasetNotFoundError } from '../errors/dataset-not-found-error.js';
import type { RecordLocation } from '../errors/invalid-record-error.js';
import { normalizeAnswer, type CaptionSample, type ClassificationSample, type Sample, type VqaSample } from '../sample.js';
import { deriveAnswerType, parseAnswerType } from './answer-type.js';
import { checkChoice, onErrorChoices, type DatasetLoad, type DatasetLoadOptions } from './dataset-load.js';
import { requireDatasetRoot, requireRecords } from './dataset-files.js';
import { ImageResolver } from './image-resolver.js';
import { readJsonLines } from './read-json.js';
import { asObject, idOf, optionalText, requiredText } from './record-fields.js';
import { SkipLog } from './skip-log.js';

/** The task of a JSONL dataset, which fixes the fields each line must have. */
export type JsonlTask = Sample['task'];

export interface LoadJsonlOptions<T extends JsonlTask> extends DatasetLoadOptions {
  /** `vqa`: `question`, `answer`, optional `answer_type`; `caption`: `caption`; `classification`: `label`, optional `text`. */
  readonly task: T;
  /** The name samples carry in `dataset`. Default `'jsonl'`. */
  readonly name?: string;
}

/** The sample type of each JSONL task. */
export type JsonlSample<T extends JsonlTask> = Extract<Sample, { task: T }>;

/**
 * Loads your own data: every `<split>.jsonl` file in `root` is a split (`train.jsonl`, `validate.jsonl`, ...), one
 * JSON object per line. Every line has `image` (a path relative to `root`) and may have `id` (default
 * `<split>:<line>`); the other fields depend on `task` (see {@link LoadJsonlOptions.task} and the README). Fields not
 * listed are kept in `source`.
 */
export async function loadJsonl<T extends JsonlTask>(options: LoadJsonlOptions<T>): Promise<DatasetLoad<JsonlSample<T>>> {
  const task = checkChoice<JsonlTask>('task', options.task, ['vqa', 'caption', 'classification'], undefined) as T;
  const onError = checkChoice('onError', options.onError, onErrorChoices, 'throw');
  const dataset = options.name ?? 'jsonl';
  const root = await requireDatasetRoot(dataset, options.root, ['train.jsonl', '<split>.jsonl']);
  const files = (await readdir(root, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && entry.name.endsWith('.jsonl'))
    .map((entry) => entry.name)
    .sort((a, b) => splitOrder(a) - splitOrder(b) || (a < b ? -1 : a > b ? 1 : 0)); // code units: the same order in every locale
  if (files.length === 0) {
    throw new DatasetNotFoundError(dataset, path.join(root, 'train.jsonl'), ['train.jsonl', '<split>.jsonl'], 'The folder has no .jsonl file.');
  }
  const resolver = new ImageResolver(root, '.');
  const log = new SkipLog(root, onError);
  const splits: Record<string, JsonlSample<T>[]> = {};

  for (const name of files) {
    const split = name.slice(0, -'.jsonl'.length);
    const file = path.join(root, name);
    const lines = await readJsonLines(file);
    requireRecords(dataset, split, file, lines.length);
    splits[split] = await log.collect(
      lines,
      (entry, index): RecordLocation => {
        const recordId = 'value' in entry ? idOf(entry.value, 'id') : undefined;
        return { file, split, recordIndex: index, line: entry.line, recordId: recordId ?? `${split}:${entry.line}` };
      },
      async (entry, location) => {
        if ('error' in entry) throw entry.error;
        const record = asObject(entry.value, location);
        const { image, imageId } = await resolver.resolve(requiredText(record, 'image', location), location, 'image');
        const base = { id: location.recordId ?? '', dataset, split, image, imageId, source: entry.value };
        return toSample(task, record, location, base) as JsonlSample<T>;
      },
    );
  }
  return { name: dataset, task: task as JsonlSample<T>['task'], root, splits, skipped: log.skipped, filtered: [] };
}

type SampleBase = Pick<VqaSample, 'id' | 'dataset' | 'split' | 'image' | 'imageId' | 'source'>;

function toSample(task: JsonlTask, record: Readonly<Record<string, unknown>>, location: RecordLocation, base: SampleBase): Sample {
  switch (task) {
    case 'vqa': {
      const answer = normalizeAnswer(requiredText(record, 'answer', location));
      const answerType = record['answer_type'] === undefined ? deriveAnswerType(answer) : parseAnswerType(record['answer_type'], 'answer_type', location);
      const question = requiredText(record, 'question', location).trim();
      return { ...base, task, question, answer, answerType } satisfies VqaSample;
    }
    case 'caption':
      return { ...base, task, caption: requiredText(record, 'caption', location).trim() } satisfies CaptionSample;
    case 'classification': {
      const label = requiredText(record, 'label', location).trim();
      const text = (optionalText(record, 'text', location) ?? '').trim();
      return { ...base, task, text, label } satisfies ClassificationSample;
    }
  }
}

/** `train` first, then validation-like splits, then test, then the rest alphabetically. */
function splitOrder(file: string): number {
  const split = file.slice(0, -'.jsonl'.length);
  const order = ['train', 'validate', 'validation', 'val', 'dev', 'test'].indexOf(split);
  return order < 0 ? 100 : order;
}
