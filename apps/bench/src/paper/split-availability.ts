import { existsSync } from 'node:fs';
import path from 'node:path';

import type { PaperTask } from './paper-grid.js';

/** A split the benchmark reports on. */
export type ReportSplit = 'validate' | 'test';

/** Whether a task's dataset ships a split file; a split that is absent is reported, never invented. */
export type SplitAvailability =
  | { readonly available: true; readonly file: string }
  | { readonly available: false; readonly reason: string };

/** The folder of each task's dataset under `--data`, as the trainer's configs name them. */
export const taskDataRoots: Readonly<Record<PaperTask, string>> = {
  'vqa-rad': 'vqa-rad',
  slake: 'slake',
  'medpix-retrieval': 'medpix-2.0',
  'medpix-classification': 'medpix-2.0',
};

/** The official file of each (task, split), relative to the dataset folder; null: the dataset has none. */
const splitFiles: Readonly<Record<PaperTask, Readonly<Record<ReportSplit, string | null>>>> = {
  'vqa-rad': { validate: null, test: 'testset.json' }, // MEVF: trainset.json / testset.json; validation is carved from train
  slake: { validate: 'validate.json', test: 'test.json' },
  'medpix-retrieval': { validate: 'splitted_dataset/descriptions_dev.jsonl', test: 'splitted_dataset/descriptions_test.jsonl' },
  'medpix-classification': { validate: 'splitted_dataset/descriptions_dev.jsonl', test: 'splitted_dataset/descriptions_test.jsonl' },
};

/**
 * Whether the dataset folder of `task` has the official `split` file. VQA-RAD (MEVF) has no validation file: its
 * validation split is carved from train for model selection only and is not reported as a validation result.
 * Phantom data (`dataDir` undefined) has every split.
 *
 * @returns the file, or the reason printed in the table: `n/a (no test split at /data/slake/test.json)`
 */
export function splitAvailability(task: PaperTask, split: ReportSplit, dataDir: string | undefined): SplitAvailability {
  if (dataDir === undefined) return { available: true, file: `phantom ${split}` };
  const root = path.resolve(dataDir, taskDataRoots[task]);
  const relative = splitFiles[task][split];
  if (relative === null) {
    return { available: false, reason: `n/a (no ${split} split at ${root}: MEVF ships only trainset.json and testset.json; validation is carved from train for model selection)` };
  }
  const file = path.join(root, relative);
  return existsSync(file) ? { available: true, file } : { available: false, reason: `n/a (no ${split} split at ${file})` };
}
