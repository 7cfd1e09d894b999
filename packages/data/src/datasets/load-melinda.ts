import path from 'node:path';

import { DatasetNotFoundError } from '../errors/dataset-not-found-error.js';
import { DatasetParseError } from '../errors/dataset-parse-error.js';
import { InvalidRecordError, type RecordLocation } from '../errors/invalid-record-error.js';
import type { ClassificationSample } from '../sample.js';
import { checkChoice, onErrorChoices, type DatasetLoad, type DatasetLoadOptions } from './dataset-load.js';
import { pathKind, requireDatasetRoot, requireExisting, requireRecords } from './dataset-files.js';
import { ImageResolver } from './image-resolver.js';
import { readCsv } from './read-csv.js';
import { requiredText } from './record-fields.js';
import { SkipLog } from './skip-log.js';

/**
 * MELINDA's label columns: the experiment method at two levels of detail (`i_meth_label`: 15 coarse intermediate
 * classes; `i_meth`: 85 fine ones) and the participant method (`p_meth_label`: 7; `p_meth`: 45).
 */
export type MelindaLabelField = 'i_meth_label' | 'p_meth_label' | 'i_meth' | 'p_meth';

export interface LoadMelindaOptions extends DatasetLoadOptions {
  /** Default `'i_meth_label'`. */
  readonly labelField?: MelindaLabelField;
}

const dataset = 'melinda';
const splitFiles = [
  ['train', 'train.csv'],
  ['dev', 'dev.csv'],
  ['test', 'test.csv'],
] as const;
const imageFolder = 'melinda_images';

/**
 * Loads MELINDA-style image-text classification rows (Wu et al., 2021): `train.csv` / `dev.csv` / `test.csv` with
 * columns `figure_file`, `caption` and the label column, images in `melinda_images/`. Other columns are kept in
 * `source`. Any CSV data in that layout loads the same way.
 */
export async function loadMelinda(options: LoadMelindaOptions): Promise<DatasetLoad<ClassificationSample>> {
  const labelField = checkChoice<MelindaLabelField>('labelField', options.labelField, ['i_meth_label', 'p_meth_label', 'i_meth', 'p_meth'], 'i_meth_label');
  const onError = checkChoice('onError', options.onError, onErrorChoices, 'throw');
  const expected = [...splitFiles.map(([, name]) => name), `${imageFolder}/`];
  const root = await requireDatasetRoot(dataset, options.root, expected);
  await requireExisting(dataset, root, [imageFolder], 'directory');
  const resolver = new ImageResolver(root, imageFolder);
  const log = new SkipLog(root, onError);
  const splits: Record<string, ClassificationSample[]> = {};

  for (const [split, name] of splitFiles) {
    const file = path.join(root, name);
    if ((await pathKind(file)) !== 'file') continue;
    const { header, rows } = await readCsv(file);
    const absent = ['figure_file', 'caption', labelField].filter((column) => !header.includes(column));
    if (absent.length > 0) {
      throw new DatasetParseError(file, 1, 1, `the header lacks column ${absent.map((column) => `'${column}'`).join(', ')} (it has ${header.join(', ')})`);
    }
    requireRecords(dataset, split, file, rows.length);
    splits[split] = await log.collect(
      rows,
      (row, index): RecordLocation => ({ file, split, recordIndex: index, line: row.line, recordId: `${split}:${index}` }),
      async (row, location) => {
        if (row.cells.length !== header.length) {
          throw new InvalidRecordError(
            location,
            'malformed-record',
            `the row has ${row.cells.length} cells, the header ${header.length} (${header.join(', ')})`,
          );
        }
        const record = Object.fromEntries(header.map((column, index) => [column, row.cells[index] ?? '']));
        const label = requiredText(record, labelField, location).trim();
        const text = requiredText(record, 'caption', location).trim();
        const resolved = await resolver.resolve(requiredText(record, 'figure_file', location), location, 'figure_file');
        return {
          task: 'classification' as const,
          id: location.recordId ?? '',
          dataset,
          split,
          ...resolved,
          text,
          label,
          source: record,
        };
      },
    );
  }
  if (Object.keys(splits).length === 0) {
    throw new DatasetNotFoundError(dataset, path.join(root, 'train.csv'), expected, 'None of the split files is there.');
  }
  return { name: dataset, task: 'classification', root, splits, skipped: log.skipped, filtered: [] };
}
