import { copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { writeFileAtomic } from '@umd/core';
import { confusionMatrixSvg, readMetricsJsonl, type MetricsRecord } from '@umd/evaluation';

import { PipelineStateError } from '../errors/pipeline-state-error.js';
import { pipelineStateFile, readPipelineState, type PipelineState } from '../stages/pipeline-state.js';
import type { CalibrateResult } from '../stages/run-calibrate-stage.js';
import type { EvaluateResult } from '../stages/run-evaluate-stage.js';
import type { FinetuneResult } from '../stages/run-finetune-stage.js';
import type { PretrainResult } from '../stages/run-pretrain-stage.js';
import { floorFailure, headlineLines, headlineRows, type HeadlineRow } from './headline.js';
import { coordinationSvg, lossCurveSvg } from './loss-curve.js';
import { reportMarkdown, type ReportPictures } from './report-markdown.js';

/** What {@link writeReport} wrote, and the numbers to print. */
export interface ReportSummary {
  /** `<out>/report/report.md`. */
  readonly reportPath: string;
  /** `<out>/report/report.json`. */
  readonly jsonPath: string;
  /** One console line per evaluated split: headline metric, 95% interval, floor. */
  readonly headline: readonly string[];
  readonly rows: readonly HeadlineRow[];
  /** Set when the tuned model's 95% interval does not clear the text-only floor on the last evaluated split (test, else validate). */
  readonly belowFloor?: string;
}

/** The stage results as recorded (each present once its stage completed or aborted with a result). */
export interface StageResults {
  readonly pretrain?: PretrainResult;
  readonly calibrate?: CalibrateResult;
  readonly finetune?: FinetuneResult;
  readonly evaluate?: EvaluateResult;
}

/**
 * Writes `<out>/report/` from `<out>/pipeline.json`: `report.md` (config, per-stage summary, headline metrics with
 * 95% bootstrap intervals beside the text-only floors, data notes), a loss-curve SVG per stage from its
 * `metrics.jsonl`, the GM-Coord coefficient trace when on, a confusion matrix per split for classification, the
 * newest reconstruction grid of pre-training (copied), and `report.json` (the same facts for machines). Covers
 * whatever stages are recorded, so it can be rewritten after any stage.
 *
 * @throws PipelineStateError when the folder has no pipeline.json
 */
export async function writeReport(options: { readonly outDir: string }): Promise<ReportSummary> {
  const outDir = path.resolve(options.outDir);
  const state = await readPipelineState(outDir);
  if (!state) throw new PipelineStateError(path.join(outDir, pipelineStateFile), 'does not exist: no stage has run in this folder');
  const reportDir = path.join(outDir, 'report');
  const results = stageResults(state);
  const pictures: ReportPictures = { lossCurves: [], confusion: [] };

  for (const stage of ['pretrain', 'calibrate', 'finetune'] as const) {
    const metrics = results[stage]?.metrics;
    if (!metrics) continue;
    const svg = lossCurveSvg(await readRecords(path.join(outDir, metrics)), `${stage} loss`);
    if (svg) pictures.lossCurves.push(await writePicture(reportDir, `${stage}-loss.svg`, svg, stage));
  }
  if (results.finetune?.coordination) {
    const svg = coordinationSvg(await readRecords(path.join(outDir, results.finetune.coordination)));
    if (svg) pictures.coordination = (await writePicture(reportDir, 'gm-coord.svg', svg, 'GM-Coord')).file;
  }
  for (const split of results.evaluate?.splits ?? []) {
    if (!split.confusion) continue;
    const svg = confusionMatrixSvg(split.confusion.matrix, split.confusion.labels, { title: `Confusion matrix (${split.split})` });
    pictures.confusion.push(await writePicture(reportDir, `confusion-${split.split}.svg`, svg, split.split));
  }
  if (results.pretrain?.picture) {
    await mkdir(reportDir, { recursive: true });
    await copyFile(path.join(outDir, results.pretrain.picture), path.join(reportDir, 'reconstruction.png'));
    pictures.reconstruction = 'reconstruction.png';
  }

  const rows = headlineRows(results.evaluate);
  const belowFloor = floorFailure(rows);
  const reportPath = path.join(reportDir, 'report.md');
  const jsonPath = path.join(reportDir, 'report.json');
  await writeFileAtomic(reportPath, reportMarkdown({ state, results, rows, pictures }));
  const json = { name: state.config.name, config: state.config, stages: state.stages, headline: rows, ...(belowFloor ? { belowFloor } : {}), pictures };
  await writeFileAtomic(jsonPath, `${JSON.stringify(json, null, 2)}\n`);
  return { reportPath, jsonPath, headline: headlineLines(rows), rows, ...(belowFloor ? { belowFloor } : {}) };
}

/** The recorded results by stage (complete or aborted stages with a result). */
export function stageResults(state: PipelineState): StageResults {
  const result = <R>(stage: keyof StageResults): R | undefined => state.stages[stage]?.result as R | undefined;
  return {
    ...optional('pretrain', result<PretrainResult>('pretrain')),
    ...optional('calibrate', result<CalibrateResult>('calibrate')),
    ...optional('finetune', result<FinetuneResult>('finetune')),
    ...optional('evaluate', result<EvaluateResult>('evaluate')),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

async function readRecords(file: string): Promise<MetricsRecord[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return readMetricsJsonl(text, { onInvalidLine: 'skip' });
}

async function writePicture(dir: string, name: string, svg: string, caption: string): Promise<{ file: string; caption: string }> {
  await writeFileAtomic(path.join(dir, name), svg);
  return { file: name, caption };
}
