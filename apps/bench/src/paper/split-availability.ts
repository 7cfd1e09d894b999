import { existsSync } from 'node:fs';
import path from 'node:path';

import type { PaperTask } from './paper-grid.js';

/** A split the benchmark reports on. */
export type ReportSplit = 'validate' | 'test';

/** Whether a task's dataset ships a split file; a split that is absent is reported, never invented. */
export type SplitAvailability =
  { readonly available: true; readonly file: string; readonly note?: string } | { readonly available: false; readonly reason: string };

/** The folder of each task's dataset under `--data`, as the trainer's configs name them. */
export const taskDataRoots: Readonly<Record<PaperTask, string>> = {
  'vqa-rad': 'vqa-rad',
  slake: 'slake',
  'medpix-retrieval': 'medpix-2.0',
  'medpix-classification': 'medpix-2.0',
};

/** The file each (task, split) is read from, relative to the dataset folder. */
const splitFiles: Readonly<Record<PaperTask, Readonly<Record<ReportSplit, string>>>> = {
  'vqa-rad': { validate: 'trainset.json', test: 'testset.json' }, // MEVF: trainset.json / testset.json; validation is carved from train
  slake: { validate: 'validate.json', test: 'test.json' },
  'medpix-retrieval': { validate: 'splitted_dataset/descriptions_dev.jsonl', test: 'splitted_dataset/descriptions_test.jsonl' },
  'medpix-classification': { validate: 'splitted_dataset/descriptions_dev.jsonl', test: 'splitted_dataset/descriptions_test.jsonl' },
};

/** How VQA-RAD's validation split comes about (MEVF ships none). */
export const vqaRadValidationNote =
  'validation carved from MEVF train as the profile says (the ready config: 15% of the questions, seeded); the same images as training, so it reads higher than test';

/**
 * Whether the dataset folder of `task` has the file `split` is read from. VQA-RAD (MEVF) has no validation file: its
 * validation split is carved from `trainset.json` (the split the tuning selects on), and says so in `note`.
 * Phantom data (`dataDir` undefined) has every split.
 *
 * @returns the file, or the reason printed in the table: `n/a (no test split at /data/slake/test.json)`
 */
export function splitAvailability(task: PaperTask, split: ReportSplit, dataDir: string | undefined): SplitAvailability {
  if (dataDir === undefined) return { available: true, file: `phantom ${split}` };
  const root = path.resolve(dataDir, taskDataRoots[task]);
  const file = path.join(root, splitFiles[task][split]);
  if (!existsSync(file)) return { available: false, reason: `n/a (no ${split} split at ${file})` };
  return task === 'vqa-rad' && split === 'validate' ? { available: true, file, note: vqaRadValidationNote } : { available: true, file };
}
