import { existsSync } from 'node:fs';
import path from 'node:path';

import {
  buildAnswerVocabulary,
  carveValidation,
  DatasetNotFoundError,
  generatePhantomDataset,
  loadMedpixCaptions,
  loadMedpixClassification,
  loadSlake,
  loadVqaRad,
  measureAnswerCoverage,
  type AnswerCoverage,
  type CaptionSample,
  type ClassificationSample,
  type DatasetLoad,
  type SkippedRecord,
  type VqaSample,
} from '@umd/data';
import type { TaskSample, TaskSpec } from '@umd/tasks';

import type { DatasetName, PipelineConfig } from './config/pipeline-config-schema.js';
import { checkSkippedFraction, describeSkippedRecords, type RecordCounts } from './skipped-records.js';

/** A downstream sample (from `@umd/tasks`): a question (VQA), a labelled image-text pair (classification) or an image-caption pair (retrieval). */
export type { TaskSample };

/** A downstream dataset ready for tuning and evaluation. */
export interface TaskData {
  readonly dataset: DatasetName;
  /** The task and its classes: answers from the training split (VQA), labels (classification), or retrieval. */
  readonly task: TaskSpec;
  readonly train: readonly TaskSample[];
  /** Model selection only. Carved from train by image (seeded) where the dataset has no validation split. */
  readonly validation: readonly TaskSample[];
  /** Touched once, for the final numbers; absent when the copy lacks it (SLAKE's test split is not always shipped). */
  readonly test?: readonly TaskSample[];
  /** Absolute dataset folder; absent for phantom. */
  readonly root?: string;
  /** VQA: questions of each evaluation split whose answer is outside the answer vocabulary. */
  readonly coverage: { readonly validation?: AnswerCoverage; readonly test?: AnswerCoverage };
  /** Records the loader skipped (missing images or fields), each with its file, record and reason. */
  readonly skipped: readonly SkippedRecord[];
  /** Facts for the report: where validation came from, skipped records, out-of-vocabulary answers. */
  readonly notes: readonly string[];
}

/** Where the README explains how to obtain each dataset. */
export const dataReadmeHint = 'See "Data" in apps/trainer/README.md for where to obtain each dataset and how to lay it out.';

const defaultRoots: Readonly<Record<Exclude<DatasetName, 'phantom'>, string>> = {
  'vqa-rad': 'vqa-rad',
  slake: 'slake',
  'medpix-classification': 'medpix-2.0',
  'medpix-retrieval': 'medpix-2.0',
};

/**
 * Resolves a dataset folder: absolute as given, relative against `dataDir` (`--data` or `UMD_DATA_DIR`).
 *
 * @throws DatasetNotFoundError naming the folder (and the README section) when it does not exist or no data folder was given
 */
export function resolveDatasetRoot(dataset: string, root: string, dataDir: string | undefined): string {
  if (!path.isAbsolute(root) && dataDir === undefined) {
    throw new DatasetNotFoundError(
      dataset,
      root,
      [],
      `Give the data folder with --data DIR or UMD_DATA_DIR (the path '${root}' is relative to it). ${dataReadmeHint}`,
    );
  }
  const absolute = path.resolve(dataDir ?? '', root);
  if (!existsSync(absolute)) throw new DatasetNotFoundError(dataset, absolute, [], dataReadmeHint);
  return absolute;
}

/**
 * Loads the downstream dataset a config names, with its splits mapped to train / validation / test:
 * phantom (generated: train / validate / test), VQA-RAD (MEVF split; validation carved from train by image with
 * the config's seed), SLAKE English (train / validate / test, the test split only if present), MedPix 2.0
 * (train / dev / test; `Location Category` labels, or image-caption retrieval). VQA answer classes come from the
 * training answers (or every split with `answerVocabulary: all`); out-of-vocabulary evaluation answers are counted.
 *
 * @throws DatasetNotFoundError naming the missing folder and pointing to the README
 */
export async function loadTaskData(config: PipelineConfig, dataDir: string | undefined): Promise<TaskData> {
  const { data } = config;
  if (data.dataset === 'phantom') {
    const { task, seed: dataSeed, trainImages, validateImages, testImages, size } = data.phantom;
    const tasks = task === 'retrieval' ? (['caption'] as const) : ([task] as const);
    const phantom = generatePhantomDataset({
      seed: dataSeed,
      counts: { train: trainImages, validate: validateImages, test: testImages },
      size,
      tasks: [...tasks],
    });
    const splits = phantom.splits as Readonly<Record<'train' | 'validate' | 'test', readonly TaskSample[]>>;
    return finish(config, {
      train: splits.train,
      validation: splits.validate,
      test: splits.test,
      skipped: [],
      records: {},
      notes: ['phantom: synthetic data, generated'],
    });
  }

  const root = resolveDatasetRoot(data.dataset, data.root ?? defaultRoots[data.dataset], dataDir);
  const own = await loadDatasetSplits(config, data.dataset, root);
  if (!data.extraTraining) return finish(config, own);
  const extra = await loadExtraTraining(data.extraTraining, dataDir, data.maxSkippedFraction);
  return finish(config, { ...own, train: [...own.train, ...extra.train], notes: [...own.notes, extra.note] });
}

/** A real dataset's splits mapped to train / validation / test (VQA-RAD's validation carved with the config's seed). */
async function loadDatasetSplits(config: PipelineConfig, dataset: Exclude<DatasetName, 'phantom'>, root: string): Promise<Splits> {
  const { data, seed } = config;
  switch (dataset) {
    case 'vqa-rad': {
      const load = await loadVqaRad({ root, scheme: 'mevf', onError: 'skip' });
      const by = data.validationCarve ?? 'image';
      const { train, validation } = carveValidation(split(load, 'train'), { fraction: data.validationFraction, seed, by });
      const note = `validation: ${validation.length} questions carved from MEVF train by ${by} (fraction ${data.validationFraction}, seed ${seed})`;
      return { root, train, validation, test: split(load, 'test'), ...skips(load), notes: [note] };
    }
    case 'slake': {
      const load = await loadSlake({ root, language: 'en', onError: 'skip' });
      const test = load.splits['test'];
      const notes = test ? [] : ['test: this copy of SLAKE has no test.json; only validate is scored'];
      return { root, train: split(load, 'train'), validation: split(load, 'validate'), ...(test ? { test } : {}), ...skips(load), notes };
    }
    case 'medpix-classification': {
      const load = await loadMedpixClassification({ root, labelField: 'Location Category', onError: 'skip' });
      return {
        root,
        train: split(load, 'train'),
        validation: split(load, 'dev'),
        test: split(load, 'test'),
        ...skips(load),
        notes: ['validation: MedPix 2.0 dev'],
      };
    }
    case 'medpix-retrieval': {
      const load = await loadMedpixCaptions({ root, onError: 'skip' });
      return {
        root,
        train: split(load, 'train'),
        validation: split(load, 'dev'),
        test: split(load, 'test'),
        ...skips(load),
        notes: ['validation: MedPix 2.0 dev'],
      };
    }
  }
}

/**
 * The training split of a second VQA dataset (`data.extraTraining`): every VQA-RAD (MEVF) training question or every
 * SLAKE English training question, never its validation or test. Ids are prefixed with the dataset's name so they
 * cannot collide with the downstream dataset's.
 *
 * @throws DatasetNotFoundError for a missing folder; the skipped-record guard as for the downstream dataset
 */
async function loadExtraTraining(
  extra: NonNullable<PipelineConfig['data']['extraTraining']>,
  dataDir: string | undefined,
  maxSkippedFraction: number,
): Promise<{ readonly train: readonly TaskSample[]; readonly note: string }> {
  const root = resolveDatasetRoot(extra.dataset, extra.root ?? defaultRoots[extra.dataset], dataDir);
  const load =
    extra.dataset === 'vqa-rad' ? await loadVqaRad({ root, scheme: 'mevf', onError: 'skip' }) : await loadSlake({ root, language: 'en', onError: 'skip' });
  const { skipped, records } = skips(load);
  const trainSkipped = skipped.filter((record) => record.split === 'train');
  checkSkippedFraction(extra.dataset, trainSkipped, { train: records['train'] ?? 0 }, maxSkippedFraction);
  const train = split(load, 'train').map((sample) => ({ ...sample, id: `${extra.dataset}:${sample.id}` }));
  const skippedNote = trainSkipped.length > 0 ? `; ${trainSkipped.length} skipped` : '';
  return {
    train,
    note: `extra training: ${train.length} ${extra.dataset} training questions added to train (its validation and test are not read${skippedNote})`,
  };
}

function split<S extends TaskSample>(load: DatasetLoad<S>, name: string): readonly S[] {
  return load.splits[name] ?? [];
}

interface Splits {
  readonly root?: string;
  readonly train: readonly TaskSample[];
  readonly validation: readonly TaskSample[];
  readonly test?: readonly TaskSample[];
  readonly skipped: readonly SkippedRecord[];
  /** Records of each split of the files before skipping. */
  readonly records: RecordCounts;
  readonly notes: readonly string[];
}

/** A load's skipped records and the record count of each split they are a share of. */
function skips(load: DatasetLoad<TaskSample>): Pick<Splits, 'skipped' | 'records'> {
  const records = Object.fromEntries(
    Object.entries(load.splits).map(([name, samples]) => [name, samples.length + load.skipped.filter((record) => record.split === name).length]),
  );
  return { skipped: load.skipped, records };
}

/** Adds the task spec (classes from train) and the answer coverage of the evaluation splits. */
function finish(config: PipelineConfig, splits: Splits): TaskData {
  const { train, validation, test } = splits;
  const notes = [...splits.notes, ...describeSkippedRecords(splits.skipped, splits.records)];
  checkSkippedFraction(config.data.dataset, splits.skipped, splits.records, config.data.maxSkippedFraction);
  const first = train[0];
  if (first === undefined) throw new DatasetNotFoundError(config.data.dataset, splits.root ?? 'phantom', ['a non-empty training split'], dataReadmeHint);
  const base = {
    dataset: config.data.dataset,
    train,
    validation,
    ...(test ? { test } : {}),
    ...(splits.root ? { root: splits.root } : {}),
    skipped: splits.skipped,
  };

  if (first.task === 'vqa') {
    const vqa = (samples: readonly TaskSample[]) => samples as readonly VqaSample[];
    const source = config.data.answerVocabulary;
    const vocabulary = buildAnswerVocabulary(
      source === 'all' ? { train: vqa(train), validate: vqa(validation), ...(test ? { test: vqa(test) } : {}) } : { train: vqa(train) },
      { source },
    );
    const coverage = {
      validation: measureAnswerCoverage(vocabulary, vqa(validation)),
      ...(test ? { test: measureAnswerCoverage(vocabulary, vqa(test)) } : {}),
    };
    notes.push(`answers: ${vocabulary.answers.length} classes from ${vocabulary.builtFrom.join(' + ')}`);
    for (const [name, value] of Object.entries(coverage)) {
      notes.push(`${name}: ${value.outside} of ${value.questions} answers (${(100 * value.outsideRate).toFixed(1)}%) are outside the answer classes`);
    }
    return { ...base, task: { kind: 'vqa', answers: vocabulary.answers }, coverage, notes };
  }
  if (first.task === 'classification') {
    const labels = [...new Set((train as readonly ClassificationSample[]).map((sample) => sample.label))].sort();
    notes.push(`labels: ${labels.length} classes from train (${labels.join(', ')})`);
    return { ...base, task: { kind: 'classification', labels }, coverage: {}, notes };
  }
  return { ...base, task: { kind: 'retrieval' }, coverage: {}, notes };
}

/**
 * The image-caption pairs MR-Pretrain runs on: phantom captions of the training images for phantom data, MedPix 2.0
 * train captions otherwise (`pretrain.corpus`). Never an evaluation split.
 *
 * @throws DatasetNotFoundError when the MedPix folder is missing
 */
export async function loadPretrainCorpus(
  config: PipelineConfig,
  dataDir: string | undefined,
): Promise<{ samples: readonly CaptionSample[]; description: string; skipped: readonly string[] }> {
  const corpus = config.pretrain.corpus === 'auto' ? (config.data.dataset === 'phantom' ? 'phantom' : 'medpix') : config.pretrain.corpus;
  if (corpus === 'phantom') {
    const { seed, trainImages, size } = config.data.phantom;
    const samples = generatePhantomDataset({ seed, counts: { train: trainImages, validate: 0, test: 0 }, size, tasks: ['caption'] }).splits.train;
    return { samples, description: `phantom train captions (${samples.length})`, skipped: [] };
  }
  const root = resolveDatasetRoot('medpix', config.pretrain.corpusRoot, dataDir);
  const load = await loadMedpixCaptions({ root, onError: 'skip' });
  const samples = load.splits['train'] ?? []; // train only: dev and test are never pre-trained on
  const skipped = load.skipped.filter((record) => record.split === 'train');
  const records = { train: samples.length + skipped.length };
  checkSkippedFraction('medpix (pre-training corpus)', skipped, records, config.data.maxSkippedFraction);
  return { samples, description: `MedPix 2.0 train captions (${samples.length}, ${root})`, skipped: describeSkippedRecords(skipped, records) };
}
