import path from 'node:path';

import { writeFileAtomic } from '@umd/core';
import { loadTaskData, type ProgressReporter, type TaskData } from '@umd/trainer';

import { BenchStateError } from '../errors/bench-state-error.js';
import { assertSameGrid, benchStateFile, readBenchState, type BenchState } from './bench-state.js';
import { paperVariants, taskKindOf, type PaperTask } from './paper-grid.js';
import { buildPaperResults, type PaperResults } from './paper-results.js';
import { preparePaperBenchmark, type PaperSetup } from './paper-session.js';
import type { ReportSplit } from './split-availability.js';
import { renderPaperResults, type RenderPaperResultsOptions } from './render-paper-results.js';
import { textFloors, type TextFloor } from './text-floors.js';
import { taskDataConfig } from './unit-config.js';

/** A rendered report of a grid: `results.json` and `results.md` as written. */
export interface PaperReport {
  readonly results: PaperResults;
  readonly markdown: string;
  readonly resultsPath: string;
  readonly resultsJsonPath: string;
}

/**
 * The results of a grid from its state, whatever is done so far: the floors computed here (no model, or no image) on
 * the reported split, every finished cell, and the published numbers. Writes `<out>/results.md` and
 * `<out>/results.json` atomically. The in-process benchmark calls it at its end; `umd-bench report` whenever asked.
 */
export async function reportPaperBenchmark(
  setup: PaperSetup,
  state: BenchState,
  options: {
    readonly progress?: ProgressReporter;
    readonly render?: RenderPaperResultsOptions;
    /** The tasks' data when already loaded (a unit runner's `taskData`); default: loaded here. */
    readonly taskData?: (task: PaperTask) => Promise<TaskData>;
  } = {},
): Promise<PaperReport> {
  const { plan, split, dataDir, availability, unitOptions } = setup;
  const taskData = options.taskData ?? ((task: PaperTask) => loadTaskData(taskDataConfig(task, unitOptions), dataDir));
  const floors: Partial<Record<PaperTask, TextFloor[]>> = {};
  for (const task of plan.tasks) {
    if (!availability[task].available) continue;
    try {
      const data = await taskData(task);
      const samples = split === 'validate' ? data.validation : (data.test ?? []);
      // VQA-RAD's validation is carved from MEVF train: its test floors learn from both, its validation floors from train only.
      const train = task === 'vqa-rad' && split === 'test' ? [...data.train, ...data.validation] : data.train;
      floors[task] = textFloors(taskKindOf[task], train, samples);
    } catch (error) {
      options.progress?.log(`[bench] ${task}: floors not computed (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)})`);
    }
  }
  const results = buildPaperResults({ plan, state, profile: setup.profile, split, data: dataDir ?? 'phantom', availability, floors });
  const markdown = renderPaperResults(results, options.render);
  const resultsPath = path.join(setup.outDir, 'results.md');
  const resultsJsonPath = path.join(setup.outDir, 'results.json');
  await writeFileAtomic(resultsPath, renderPaperResults(results));
  await writeFileAtomic(resultsJsonPath, `${JSON.stringify(results, null, 2)}\n`);
  return { results, markdown, resultsPath, resultsJsonPath };
}

/**
 * The report of whatever is done in a grid's output folder (`umd-bench report`): the grid is read back from its
 * state file, so any folder a benchmark wrote — in one process, or by a queue's workers — can be reported.
 *
 * @throws BenchStateError when the folder has no state file; DatasetNotFoundError when the grid's data is gone
 */
export async function reportBenchFolder(
  outDir: string,
  options: { readonly split?: ReportSplit; readonly progress?: ProgressReporter; readonly render?: RenderPaperResultsOptions } = {},
): Promise<PaperReport> {
  const state = await readBenchState(outDir);
  const file = path.join(path.resolve(outDir), benchStateFile);
  if (!state) throw new BenchStateError(file, 'does not exist', { advice: 'Give the --out folder of a benchmark (umd-bench paper writes it).' });
  const { grid } = state;
  const setup = preparePaperBenchmark({
    profile: grid.profile,
    data: grid.data === 'phantom' ? { kind: 'phantom' } : { kind: 'real', dir: grid.data },
    outDir,
    tasks: grid.tasks,
    variants: paperVariants.filter((variant) => grid.rows.includes(variant)),
    seeds: grid.seeds.length,
    floors: grid.rows.includes('text-only'),
    split: options.split ?? 'validate',
  });
  assertSameGrid(state, setup.grid, file);
  return reportPaperBenchmark(setup, state, options);
}
