import path from 'node:path';

import { DatasetNotFoundError } from '../errors/dataset-not-found-error.js';
import { InvalidRecordError, type RecordLocation } from '../errors/invalid-record-error.js';
import type { CaptionSample } from '../sample.js';
import { checkChoice, onErrorChoices, type DatasetLoad, type DatasetLoadOptions } from './dataset-load.js';
import { pathKind, requireDatasetRoot, requireExisting, requireRecords } from './dataset-files.js';
import { ImageResolver } from './image-resolver.js';
import { readTextLines } from './read-json.js';
import { SkipLog } from './skip-log.js';

/** ROCO's two subsets: radiology images (used for pre-training) and the rest. */
export type RocoSubset = 'radiology' | 'non-radiology';

export interface LoadRocoOptions extends DatasetLoadOptions {
  /** Default `'radiology'`. */
  readonly subset?: RocoSubset;
}

/** The source of a ROCO-style sample: the line as written, split into id and caption. */
export interface RocoRecord {
  readonly text: string;
  readonly id: string;
  readonly caption: string;
}

const dataset = 'roco';
/** ROCO names its validation folder `validation`; some copies (M3AE's) use `val`. */
const splitNames = ['train', 'validation', 'val', 'test'];

/**
 * Loads ROCO-style image-caption data (Pelka et al., 2018): per split, `<split>/<subset>/captions.txt` with one
 * `ID<TAB>caption` per line and the images at `<split>/<subset>/images/<ID>.jpg` (the layout ROCO's fetch script and
 * M3AE use). Any dataset in that layout loads the same way.
 */
export async function loadRoco(options: LoadRocoOptions): Promise<DatasetLoad<CaptionSample>> {
  const subset = checkChoice<RocoSubset>('subset', options.subset, ['radiology', 'non-radiology'], 'radiology');
  const onError = checkChoice('onError', options.onError, onErrorChoices, 'throw');
  const expected = splitNames.map((split) => `${split}/${subset}/captions.txt`);
  const root = await requireDatasetRoot(dataset, options.root, expected);
  const log = new SkipLog(root, onError);
  const splits: Record<string, CaptionSample[]> = {};

  for (const split of splitNames) {
    const folder = `${split}/${subset}`;
    const file = path.join(root, folder, 'captions.txt');
    if ((await pathKind(file)) !== 'file') continue;
    const images = await requireExisting(dataset, root, [`${folder}/images`], 'directory', `${folder}/captions.txt is there but its images are not.`);
    const resolver = new ImageResolver(root, images, ['.jpg', '.png']);
    const lines = await readTextLines(file);
    requireRecords(dataset, split, file, lines.length);
    splits[split] = await log.collect(
      lines,
      ({ content, line }, index): RecordLocation => {
        const id = content.split('\t')[0]?.trim();
        return { file, split, recordIndex: index, line, ...(id ? { recordId: id } : {}) };
      },
      async ({ content }, location) => {
        const tab = content.indexOf('\t');
        if (tab < 0) throw new InvalidRecordError(location, 'malformed-record', 'expected ID<TAB>caption, found no tab');
        const id = content.slice(0, tab).trim();
        const caption = content
          .slice(tab + 1)
          .replace(/\s+/g, ' ')
          .trim();
        if (id === '') throw new InvalidRecordError(location, 'missing-field', "field 'id' is empty", 'id');
        if (caption === '') throw new InvalidRecordError(location, 'missing-field', "field 'caption' is empty", 'caption');
        const resolved = await resolver.resolve(id, location, 'id');
        const source: RocoRecord = { text: content, id, caption };
        return { task: 'caption' as const, id, dataset, split, ...resolved, caption, source };
      },
    );
  }
  if (Object.keys(splits).length === 0) {
    throw new DatasetNotFoundError(dataset, path.join(root, expected[0] ?? ''), expected, 'No split has a captions.txt.');
  }
  return { name: dataset, task: 'caption', root, splits, skipped: log.skipped, filtered: [] };
}
