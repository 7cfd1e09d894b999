import { InvalidConfigError } from '@umd/core';

import type { OnError } from '../datasets/dataset-load.js';
import { loadJsonl, type JsonlTask } from '../datasets/load-jsonl.js';
import { loadMedpixCaptions, loadMedpixClassification, type MedpixLabelField, type MedpixScheme } from '../datasets/load-medpix.js';
import { loadMelinda, type MelindaLabelField } from '../datasets/load-melinda.js';
import { loadRoco, type RocoSubset } from '../datasets/load-roco.js';
import { loadSlake, type SlakeLanguage } from '../datasets/load-slake.js';
import { loadVqaMed2019 } from '../datasets/load-vqa-med-2019.js';
import { loadVqaRad, type VqaRadScheme } from '../datasets/load-vqa-rad.js';
import type { DatasetSummaryInput } from '../datasets/summarize-dataset.js';
import { generatePhantomDataset } from '../phantom/generate-phantom-dataset.js';

/** The datasets `umd-data` knows by name. */
export const datasetNames = ['vqa-rad', 'slake', 'vqa-med-2019', 'medpix', 'roco', 'melinda', 'jsonl', 'phantom'] as const;
export type DatasetName = (typeof datasetNames)[number];

/** The adapter options the CLI can pass; each applies to some datasets only. */
export interface NamedDatasetOptions {
  /** Required for every dataset except `phantom`, which is generated. */
  readonly root?: string;
  readonly onError: OnError;
  readonly scheme?: string;
  readonly language?: string;
  readonly task?: string;
  readonly labelField?: string;
  readonly subset?: string;
  /** phantom: the generator's seed. */
  readonly seed?: number;
  /** phantom: images per split, `train,validate,test`. */
  readonly counts?: string;
}

type Selector = Exclude<keyof NamedDatasetOptions, 'onError'>;

const flags: Readonly<Record<Selector, string>> = {
  root: '--root',
  scheme: '--scheme',
  language: '--language',
  task: '--task',
  labelField: '--label-field',
  subset: '--subset',
  seed: '--seed',
  counts: '--counts',
};

/** Images per split of the phantom dataset when `--counts` is not given. */
export const defaultPhantomCounts = '100,20,20';

const applies: Readonly<Record<DatasetName, readonly Selector[]>> = {
  'vqa-rad': ['root', 'scheme'],
  slake: ['root', 'language'],
  'vqa-med-2019': ['root'],
  medpix: ['root', 'scheme', 'task', 'labelField'],
  roco: ['root', 'subset'],
  melinda: ['root', 'labelField'],
  jsonl: ['root', 'task'],
  phantom: ['task', 'seed', 'counts'],
};

/**
 * Loads a dataset by its CLI name. A selector option given for a dataset it does not apply to is an
 * `InvalidConfigError` naming the flag, rather than being ignored.
 */
export async function loadNamedDataset(name: DatasetName, options: NamedDatasetOptions): Promise<DatasetSummaryInput> {
  for (const key of Object.keys(flags) as Selector[]) {
    if (options[key] !== undefined && !applies[name].includes(key)) {
      if (key === 'root') throw new InvalidConfigError('--root', options.root, 'none for phantom: it is generated in memory, drop --root');
      const users = datasetNames.filter((dataset) => applies[dataset].includes(key));
      throw new InvalidConfigError(flags[key], options[key], `only with --dataset ${users.join(' or ')}`);
    }
  }
  if (name === 'phantom') return phantom(options);
  const { root, onError } = options;
  if (root === undefined) throw new InvalidConfigError('--root', undefined, `the ${name} folder (required for every dataset but phantom)`);
  switch (name) {
    case 'vqa-rad':
      return loadVqaRad({ root, onError, scheme: options.scheme as VqaRadScheme | undefined });
    case 'slake':
      return loadSlake({ root, onError, language: options.language as SlakeLanguage | undefined });
    case 'vqa-med-2019':
      return loadVqaMed2019({ root, onError });
    case 'medpix': {
      const scheme = options.scheme as MedpixScheme | undefined;
      const task = options.task ?? 'classification';
      if (task === 'caption') {
        if (options.labelField !== undefined) throw new InvalidConfigError('--label-field', options.labelField, 'only with --task classification');
        return loadMedpixCaptions({ root, onError, scheme });
      }
      if (task !== 'classification') throw new InvalidConfigError('--task', task, "'caption', 'classification' for medpix");
      return loadMedpixClassification({ root, onError, scheme, labelField: options.labelField as MedpixLabelField | undefined });
    }
    case 'roco':
      return loadRoco({ root, onError, subset: options.subset as RocoSubset | undefined });
    case 'melinda':
      return loadMelinda({ root, onError, labelField: options.labelField as MelindaLabelField | undefined });
    case 'jsonl':
      if (options.task === undefined) throw new InvalidConfigError('--task', undefined, "'vqa', 'caption', 'classification' (required for jsonl)");
      return loadJsonl({ root, onError, task: options.task as JsonlTask });
  }
}

/** The phantom dataset, generated in memory, for one task. */
function phantom(options: NamedDatasetOptions): DatasetSummaryInput {
  const task = options.task ?? 'vqa';
  if (task !== 'vqa' && task !== 'caption' && task !== 'classification') {
    throw new InvalidConfigError('--task', task, "'vqa', 'caption', 'classification'");
  }
  const text = options.counts ?? defaultPhantomCounts;
  const numbers = text.split(',').map((part) => Number(part.trim()));
  const [train, validate, test] = numbers;
  if (numbers.length !== 3 || train === undefined || validate === undefined || test === undefined || !numbers.every((n) => Number.isInteger(n) && n >= 0)) {
    throw new InvalidConfigError('--counts', text, 'three whole numbers of images, train,validate,test (e.g. 100,20,20)');
  }
  const dataset = generatePhantomDataset({ seed: options.seed ?? 1, counts: { train, validate, test }, tasks: [task] });
  return { name: dataset.name, task, splits: dataset.splits, skipped: [], filtered: [] };
}
