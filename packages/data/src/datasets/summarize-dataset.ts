import type { RecordProblem } from '../errors/invalid-record-error.js';
import type { AnswerType, Sample, VqaSample } from '../sample.js';
import { measureAnswerCoverage } from '../vocabulary/answer-coverage.js';
import { buildAnswerVocabulary, type AnswerVocabularySource } from '../vocabulary/answer-vocabulary.js';
import type { DatasetLoad, FilteredRecords, SkippedRecord } from './dataset-load.js';

/** The numbers `umd-data inspect` reports for one split. Plain data, ready for `JSON.stringify`. */
export interface SplitSummary {
  /** Records read for this split: samples plus skipped records (records filtered out by an option are not counted). */
  readonly records: number;
  /** Usable samples. */
  readonly samples: number;
  /** Distinct images among the samples. */
  readonly distinctImages: number;
  /** Records skipped because their image file does not exist. */
  readonly missingImages: number;
  readonly skipped: { readonly count: number; readonly byReason: Readonly<Partial<Record<RecordProblem, number>>> };
  /** Records left out by a selection option (e.g. SLAKE questions in another language). */
  readonly filtered: number;
  /** VQA only: questions per answer type. */
  readonly answerTypes?: Readonly<Record<AnswerType, number>>;
  /** VQA only, for splits the vocabulary was not built from: answers it cannot predict. */
  readonly answerCoverage?: {
    readonly questions: number;
    readonly outside: number;
    readonly outsideRate: number;
    readonly outsideByType: Readonly<Record<AnswerType, number>>;
    readonly outsideDistinct: number;
    /** The most frequent outside answers (at most `outsideAnswerLimit`). */
    readonly outsideAnswers: readonly { readonly answer: string; readonly count: number }[];
  };
  /** Classification only: samples per label, most frequent first. */
  readonly labels?: Readonly<Record<string, number>>;
}

/** What can be summarised: an adapter's result, or generated data (no root folder). */
export type DatasetSummaryInput = Omit<DatasetLoad, 'root'> & { readonly root?: string };

/** What `umd-data inspect` prints: per-split numbers, the answer vocabulary, and every skipped or filtered record. */
export interface DatasetSummary {
  readonly dataset: string;
  readonly task: Sample['task'];
  /** The dataset folder; absent for generated data (phantom). */
  readonly root?: string;
  readonly splits: Readonly<Record<string, SplitSummary>>;
  /** VQA only. `unavailable` says why no vocabulary was built (e.g. no training split loaded). */
  readonly vocabulary?:
    | { readonly source: AnswerVocabularySource; readonly builtFrom: readonly string[]; readonly size: number }
    | { readonly source: AnswerVocabularySource; readonly unavailable: string };
  readonly skipped: readonly SkippedRecord[];
  readonly filtered: readonly FilteredRecords[];
}

export interface SummarizeDatasetOptions {
  /** Where the VQA answer vocabulary comes from. Default `'train'`. */
  readonly vocabulary?: AnswerVocabularySource;
  /** How many outside answers to list per split. Default 10. */
  readonly outsideAnswerLimit?: number;
}

/** Computes the per-split report of a loaded dataset. */
export function summarizeDataset(load: DatasetSummaryInput, options: SummarizeDatasetOptions = {}): DatasetSummary {
  const source = options.vocabulary ?? 'train';
  const limit = options.outsideAnswerLimit ?? 10;
  let vocabulary: ReturnType<typeof buildAnswerVocabulary> | undefined;
  let vocabularyInfo: DatasetSummary['vocabulary'];
  if (load.task === 'vqa') {
    const vqaSplits = load.splits as Readonly<Record<string, readonly VqaSample[]>>;
    if (source === 'train' && !('train' in vqaSplits)) {
      vocabularyInfo = { source, unavailable: "no 'train' split was loaded" };
    } else {
      vocabulary = buildAnswerVocabulary(vqaSplits, { source });
      vocabularyInfo = { source, builtFrom: vocabulary.builtFrom, size: vocabulary.answers.length };
    }
  }

  const splits: Record<string, SplitSummary> = {};
  for (const [split, samples] of Object.entries(load.splits)) {
    const skipped = load.skipped.filter((entry) => entry.split === split);
    const byReason: Partial<Record<RecordProblem, number>> = {};
    for (const entry of skipped) byReason[entry.reason] = (byReason[entry.reason] ?? 0) + 1;
    const summary: SplitSummary = {
      records: samples.length + skipped.length,
      samples: samples.length,
      distinctImages: new Set(samples.map((sample) => sample.imageId)).size,
      missingImages: byReason['missing-image'] ?? 0,
      skipped: { count: skipped.length, byReason },
      filtered: load.filtered.filter((entry) => entry.split === split).reduce((sum, entry) => sum + entry.count, 0),
    };
    splits[split] = { ...summary, ...taskNumbers(load.task, samples, split, vocabulary, limit) };
  }
  return {
    dataset: load.name,
    task: load.task,
    ...(load.root === undefined ? {} : { root: load.root }),
    splits,
    ...(vocabularyInfo === undefined ? {} : { vocabulary: vocabularyInfo }),
    skipped: load.skipped,
    filtered: load.filtered,
  };
}

function taskNumbers(
  task: Sample['task'],
  samples: readonly Sample[],
  split: string,
  vocabulary: ReturnType<typeof buildAnswerVocabulary> | undefined,
  limit: number,
): Partial<SplitSummary> {
  if (task === 'vqa') {
    const questions = samples as readonly VqaSample[];
    const answerTypes: Record<AnswerType, number> = { open: 0, closed: 0 };
    for (const sample of questions) answerTypes[sample.answerType]++;
    // The training split is covered by construction; with source 'all' the evaluation splits are too (outside = 0).
    if (vocabulary === undefined || split === 'train') {
      return { answerTypes };
    }
    const coverage = measureAnswerCoverage(vocabulary, questions);
    return {
      answerTypes,
      answerCoverage: {
        questions: coverage.questions,
        outside: coverage.outside,
        outsideRate: Math.round(coverage.outsideRate * 10_000) / 10_000,
        outsideByType: coverage.outsideByType,
        outsideDistinct: coverage.outsideAnswers.length,
        outsideAnswers: coverage.outsideAnswers.slice(0, limit),
      },
    };
  }
  if (task === 'classification') {
    const counts = new Map<string, number>();
    for (const sample of samples as readonly Extract<Sample, { task: 'classification' }>[]) {
      counts.set(sample.label, (counts.get(sample.label) ?? 0) + 1);
    }
    return { labels: Object.fromEntries([...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))) };
  }
  return {};
}
