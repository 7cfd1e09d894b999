import path from 'node:path';

import { DatasetNotFoundError } from '../errors/dataset-not-found-error.js';
import type { RecordLocation } from '../errors/invalid-record-error.js';
import type { CaptionSample, ClassificationSample } from '../sample.js';
import { checkChoice, onErrorChoices, type DatasetLoad, type DatasetLoadOptions } from './dataset-load.js';
import { pathKind, requireDatasetRoot, requireExisting, requireRecords } from './dataset-files.js';
import { ImageResolver, type ResolvedImage } from './image-resolver.js';
import { readJsonArray, readJsonLines } from './read-json.js';
import { asObject, idOf, recordAttributes, requiredObject, requiredText } from './record-fields.js';
import { SkipLog } from './skip-log.js';

/**
 * `official` (default): the case-level splits `splitted_dataset/descriptions_{train,dev,test}.jsonl` (1653 / 197 / 200
 * images). `all`: every image of `Descriptions.json` as one split named `all` (2050 images).
 */
export type MedpixScheme = 'official' | 'all';

/** The record field used as the class: body region (5 classes), modality (`CT`/`MR`) or imaging plane (long-tailed). */
export type MedpixLabelField = 'Location Category' | 'Type' | 'Plane';

export interface LoadMedpixOptions extends DatasetLoadOptions {
  /** Default `'official'`. */
  readonly scheme?: MedpixScheme;
}

export interface LoadMedpixClassificationOptions extends LoadMedpixOptions {
  /** Default `'Location Category'`. A record whose label is `null` (one `Plane` is) is a `missing-field` record. */
  readonly labelField?: MedpixLabelField;
}

const dataset = 'medpix';
const splitFiles = [
  ['train', 'splitted_dataset/descriptions_train.jsonl'],
  ['dev', 'splitted_dataset/descriptions_dev.jsonl'],
  ['test', 'splitted_dataset/descriptions_test.jsonl'],
] as const;
const descriptionsFile = 'Descriptions.json';
/** Fields where each label lives (`Plane` is inside `Description`). */
const labelPaths: Readonly<Record<MedpixLabelField, readonly string[]>> = {
  'Location Category': ['Location Category'],
  Type: ['Type'],
  Plane: ['Description', 'Plane'],
};

interface MedpixRecord {
  readonly value: unknown;
  readonly location: RecordLocation;
  readonly record: Readonly<Record<string, unknown>>;
  readonly resolved: ResolvedImage;
  readonly caption: string;
}

/** Loads MedPix 2.0 (Siragusa et al., 2025) as image-caption pairs (`Description.Caption`). */
export async function loadMedpixCaptions(options: LoadMedpixOptions): Promise<DatasetLoad<CaptionSample>> {
  return loadMedpix(options, 'caption', ({ value, location, record, resolved, caption }) => ({
    task: 'caption',
    id: location.recordId ?? '',
    dataset,
    split: location.split,
    ...resolved,
    caption,
    attributes: recordAttributes(record, attributePaths),
    source: value,
  }));
}

/** The attributes of a MedPix sample and where each lives in the record. */
const attributePaths = {
  Type: ['Type'],
  Modality: ['Description', 'Modality'],
  Plane: ['Description', 'Plane'],
  Location: ['Location'],
  'Location Category': ['Location Category'],
} as const;

/**
 * Loads MedPix 2.0 as image-text classification: the caption is the text, `labelField` the class (default
 * `Location Category`: Head, Spine and Muscles, Thorax, Abdomen, Reproductive and Urinary System).
 */
export async function loadMedpixClassification(options: LoadMedpixClassificationOptions): Promise<DatasetLoad<ClassificationSample>> {
  const labelField = checkChoice<MedpixLabelField>('labelField', options.labelField, ['Location Category', 'Type', 'Plane'], 'Location Category');
  const [outer = '', inner] = labelPaths[labelField];
  return loadMedpix(options, 'classification', ({ value, location, record, resolved, caption }) => {
    const holder = inner === undefined ? record : requiredObject(record, outer, location);
    const label = requiredText(holder, inner ?? outer, location, inner === undefined ? outer : `${outer}.${inner}`).trim();
    return {
      task: 'classification',
      id: location.recordId ?? '',
      dataset,
      split: location.split,
      ...resolved,
      text: caption,
      label,
      attributes: recordAttributes(record, attributePaths),
      source: value,
    };
  });
}

async function loadMedpix<S extends CaptionSample | ClassificationSample>(
  options: LoadMedpixOptions,
  task: S['task'],
  toSample: (record: MedpixRecord) => S,
): Promise<DatasetLoad<S>> {
  const scheme = checkChoice<MedpixScheme>('scheme', options.scheme, ['official', 'all'], 'official');
  const onError = checkChoice('onError', options.onError, onErrorChoices, 'throw');
  const root = await requireDatasetRoot(dataset, options.root, [descriptionsFile, 'splitted_dataset/', 'images/']);
  const imageFolder = await requireExisting(dataset, root, ['images'], 'directory');
  // The official images are PNG; copies re-encoded to JPEG keep their stems.
  const resolver = new ImageResolver(root, imageFolder, ['.png', '.jpg', '.jpeg']);
  const log = new SkipLog(root, onError);
  const splits: Record<string, S[]> = {};

  const convert = async (value: unknown, location: RecordLocation): Promise<S> => {
    const record = asObject(value, location);
    const imageName = requiredText(record, 'image', location);
    const caption = requiredText(requiredObject(record, 'Description', location), 'Caption', location, 'Description.Caption').trim();
    const resolved = await resolver.resolve(imageName, location, 'image');
    return toSample({ value, location, record, resolved, caption });
  };
  const locate = (file: string, split: string, recordIndex: number, value: unknown, line?: number): RecordLocation => {
    const recordId = idOf(value, 'image');
    return { file, split, recordIndex, ...(line === undefined ? {} : { line }), ...(recordId === undefined ? {} : { recordId }) };
  };

  if (scheme === 'all') {
    const file = path.join(root, await requireExisting(dataset, root, [descriptionsFile], 'file'));
    const records = await readJsonArray(file);
    requireRecords(dataset, 'all', file, records.length);
    splits['all'] = await log.collect(records, (value, index) => locate(file, 'all', index, value), convert);
  } else {
    for (const [split, name] of splitFiles) {
      const file = path.join(root, name);
      if ((await pathKind(file)) !== 'file') continue;
      const lines = await readJsonLines(file);
      requireRecords(dataset, split, file, lines.length);
      splits[split] = await log.collect(
        lines,
        (entry, index) => locate(file, split, index, 'value' in entry ? entry.value : undefined, entry.line),
        (entry, location) => {
          if ('error' in entry) throw entry.error;
          return convert(entry.value, location);
        },
      );
    }
    if (Object.keys(splits).length === 0) {
      throw new DatasetNotFoundError(
        dataset,
        path.join(root, 'splitted_dataset'),
        splitFiles.map(([, name]) => name),
        `The case-level split files are missing; load '${descriptionsFile}' as one split with scheme 'all' (umd-data: --scheme all).`,
      );
    }
  }
  return { name: dataset, task, root, splits, skipped: log.skipped, filtered: [] };
}
