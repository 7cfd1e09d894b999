import path from 'node:path';

import { writeFileAtomic } from '@umd/core';
import { loadTaskData, type ProgressReporter } from '@umd/trainer';

import type { BenchState } from './bench-state.js';
import { taskKindOf, type PaperTask } from './paper-grid.js';
import { buildPaperResults, type PaperResults } from './paper-results.js';
import type { PaperSetup } from './paper-session.js';
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
  options: { readonly progress?: ProgressReporter; readonly render?: RenderPaperResultsOptions } = {},
): Promise<PaperReport> {
  const { plan, split, dataDir, availability, unitOptions } = setup;
  const floors: Partial<Record<PaperTask, TextFloor[]>> = {};
  for (const task of plan.tasks) {
    if (!availability[task].available) continue;
    try {
      const data = await loadTaskData(taskDataConfig(task, unitOptions), dataDir);
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
