/**
 * The downstream datasets of the paper's benchmark, ready for `runTaskTuning`: a task spec, a training split and a
 * validation split (carved from train, by image, where the dataset has none). Test splits are never returned: model
 * selection happens on validation only.
 */
import {
  buildAnswerVocabulary,
  carveValidation,
  generatePhantomDataset,
  loadMedpixCaptions,
  loadMedpixClassification,
  loadSlake,
  loadVqaRad,
  measureAnswerCoverage,
  type Sample,
  type VqaSample,
} from '@umd/data';

import type { TaskSpec } from '../src/index.js';

export const taskDatasetNames = ['vqa-rad', 'slake', 'medpix-classification', 'medpix-retrieval', 'phantom'] as const;
export type TaskDatasetName = (typeof taskDatasetNames)[number];

export interface TaskDataset {
  readonly name: TaskDatasetName;
  readonly task: TaskSpec;
  readonly train: readonly Sample[];
  readonly validation: readonly Sample[];
  /**
   * The test split where the dataset has one here (VQA-RAD MEVF test, MedPix test). Only for scoring a model
   * selected on validation, once (`finetune --score-test`); never for choosing anything.
   */
  readonly test?: readonly Sample[];
  /** Human-readable facts worth printing (carve, vocabulary coverage, skipped records). */
  readonly notes: readonly string[];
}

export interface LoadTaskDatasetOptions {
  /** The dataset folder (not needed for phantom). */
  readonly root?: string;
  /** Seed of the validation carve (VQA-RAD). Fixed by default, so every run selects on the same questions. */
  readonly carveSeed?: number;
  /** Share of VQA-RAD's training images (or questions, `carveBy: 'sample'`) carved out for validation. Default 0.15. */
  readonly validationFraction?: number;
  /** VQA answer classes from the training answers (`train`, default) or every split here (`all`: M3AE's convention, for comparison only). */
  readonly answerVocabulary?: 'train' | 'all';
  /** How VQA-RAD's validation is carved (see `carveValidation`): `image` (unseen images) or `sample` (as its test split). Default `image`. */
  readonly carveBy?: 'image' | 'sample';
  /** Phantom: image side (the model's) and images per split. */
  readonly phantom?: { readonly size: number; readonly train: number; readonly validate: number; readonly seed: number };
}

/** Loads `name` (see {@link taskDatasetNames}) as train/validation samples and its task spec. */
export async function loadTaskDataset(name: TaskDatasetName, options: LoadTaskDatasetOptions = {}): Promise<TaskDataset> {
  const root = (): string => {
    if (!options.root) throw new Error(`--data <folder of ${name}> is required`);
    return options.root;
  };
  const notes: string[] = [];
  const skipped = (count: number): void => {
    if (count > 0) notes.push(`${count} unusable record(s) skipped (missing images etc.)`);
  };
  switch (name) {
    case 'vqa-rad': {
      const load = await loadVqaRad({ root: root(), onError: 'skip' });
      skipped(load.skipped.length);
      const fraction = options.validationFraction ?? 0.15;
      const by = options.carveBy ?? 'image';
      const { train, validation } = carveValidation(load.splits['train'] ?? [], { fraction, seed: options.carveSeed ?? 0, by });
      notes.push(
        `validation carved from MEVF train by ${by}: ${validation.length} questions on ${new Set(validation.map((s) => s.imageId)).size} of ` +
          `${new Set(load.splits['train']?.map((s) => s.imageId)).size} images (${(fraction * 100).toFixed(0)}%)`,
      );
      const test = load.splits['test'] ?? [];
      return { ...vqa(name, train, validation, notes, options.answerVocabulary === 'all' ? test : undefined), test };
    }
    case 'slake': {
      const load = await loadSlake({ root: root(), language: 'en', onError: 'skip' });
      skipped(load.skipped.length);
      return vqa(name, load.splits['train'] ?? [], load.splits['validate'] ?? [], notes, options.answerVocabulary === 'all' ? [] : undefined);
    }
    case 'medpix-classification': {
      const load = await loadMedpixClassification({ root: root(), onError: 'skip' });
      skipped(load.skipped.length);
      const train = load.splits['train'] ?? [];
      const labels = [...new Set(train.map((sample) => sample.label))].sort();
      notes.push(`labels (Location Category): ${labels.join(', ')}`);
      return { name, task: { kind: 'classification', labels }, train, validation: load.splits['dev'] ?? [], test: load.splits['test'] ?? [], notes };
    }
    case 'medpix-retrieval': {
      const load = await loadMedpixCaptions({ root: root(), onError: 'skip' });
      skipped(load.skipped.length);
      return {
        name,
        task: { kind: 'retrieval' },
        train: load.splits['train'] ?? [],
        validation: load.splits['dev'] ?? [],
        test: load.splits['test'] ?? [],
        notes,
      };
    }
    case 'phantom': {
      const { size, train, validate, seed } = options.phantom ?? { size: 96, train: 400, validate: 100, seed: 0 };
      const dataset = generatePhantomDataset({ seed, counts: { train, validate, test: 0 }, size, tasks: ['vqa'] });
      notes.push('synthetic phantom scans (not medical data)');
      return vqa(name, dataset.splits.train, dataset.splits.validate, notes);
    }
  }
}

/** `test` given: the vocabulary is built from every split (M3AE's convention); absent: from train only (DESIGN's default). */
function vqa(name: TaskDatasetName, train: readonly VqaSample[], validation: readonly VqaSample[], notes: string[], test?: readonly VqaSample[]): TaskDataset {
  const vocabulary = test ? buildAnswerVocabulary({ train, validate: validation, test }, { source: 'all' }) : buildAnswerVocabulary({ train }); // training answers only (DESIGN: report what falls outside)
  if (test) notes.push("answer vocabulary from every split (M3AE's convention, for comparison with published numbers only)");
  const coverage = measureAnswerCoverage(vocabulary, validation);
  notes.push(
    `answer vocabulary: ${vocabulary.answers.length} training answers; ${coverage.outside} of ${coverage.questions} validation questions ` +
      `(${(coverage.outsideRate * 100).toFixed(1)}%) have an answer outside it (never counted as correct)`,
  );
  return { name, task: { kind: 'vqa', answers: vocabulary.answers }, train, validation, notes };
}
