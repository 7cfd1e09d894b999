import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { ledgerLine, parseLedger, type LedgerRecord } from '@umd/evaluation';

import { BenchStateError } from '../errors/bench-state-error.js';
import { benchStateFile, readBenchState, type BenchState, type EvaluateUnitResult, type TuneUnitResult, type UnitProvenance } from './bench-state.js';
import { paperRows, paperTasks, rowSpecs, type PaperRow, type PaperTask } from './paper-grid.js';

/** Options of {@link paperLedgerRecords}. */
export interface PaperLedgerOptions {
  /** The experiment name's start; each row's label follows it. Default `umd-bench paper --profile <profile>`. */
  readonly experimentPrefix?: string;
  /**
   * For units completed before units kept their provenance: the commit and machine the records say instead (a note
   * says so); their command is the grid's `umd-bench paper` command rebuilt from the state and `outDir`.
   */
  readonly fallback: Pick<UnitProvenance, 'commit' | 'machine'>;
  /** The benchmark's output folder, as the rebuilt command names it. */
  readonly outDir: string;
}

const evaluateId = /^evaluate\/([^/]+)\/([^/]+)\/seed-(\d+)\/(validate|test)$/;

/**
 * One results-ledger record per complete evaluation unit of a benchmark folder's state, in the ledger's form: an
 * experiment per (profile, row), named `<prefix>: <row id>` (`scratch`, `mr-full+td-calib`, …; the row ids add up
 * as the table's rows do), whose seeds are the grid's seeds, metrics in percent rounded to 0.1 (the ledger's
 * intervals are over seeds), the command, commit and machine the tuning unit ran with, and its wall time (tuning plus
 * evaluation; the shared pre-training and calibration it started from are named in the note with their times).
 *
 * @returns records in the state's unit order
 */
export function paperLedgerRecords(state: BenchState, options: PaperLedgerOptions): LedgerRecord[] {
  const prefix = options.experimentPrefix ?? `umd-bench paper --profile ${state.grid.profile.name}`;
  const records: LedgerRecord[] = [];
  for (const [id, unit] of Object.entries(state.units)) {
    const match = evaluateId.exec(id);
    if (!match || unit.status !== 'complete' || unit.result === undefined) continue;
    const [, task, row, seedText, split] = match as unknown as [string, PaperTask, PaperRow, string, 'validate' | 'test'];
    if (!paperTasks.includes(task) || !paperRows.includes(row)) continue;
    const tuneId = `tune/${task}/${row}/seed-${seedText}`;
    const tune = state.units[tuneId];
    const tuneResult = tune?.result as TuneUnitResult | undefined;
    const result = unit.result as EvaluateUnitResult;
    const provenance = tune?.provenance ?? unit.provenance;
    const upstream = upstreamOf(state, task, row);
    const notes = [
      `row ${row}: ${rowSpecs[row].label}`,
      `${tuneId}${tuneResult ? `: ${tuneResult.steps} steps, selected at epoch ${(tuneResult.best?.epoch ?? 0) + 1} on validation` : ''}`,
      ...upstream.map((upstreamId) => `starts from ${upstreamId} (${minutesOf(state.units[upstreamId]?.seconds)} min, shared by the row's seeds)`),
      ...(provenance ? [] : ['the unit ran before units kept their provenance: its commit and machine are the import’s, its command rebuilt from the grid']),
    ];
    records.push({
      experiment: `${prefix}: ${row}`,
      dataset: task,
      split,
      seed: Number(seedText),
      metrics: Object.fromEntries(Object.entries(result.metrics).map(([name, metric]) => [name, Math.round(metric.value * 1000) / 10])),
      command: provenance?.command ?? gridCommand(state, options.outDir, split),
      config: `umd-bench paper --profile ${state.grid.profile.name}, row ${row}`,
      commit: provenance?.commit ?? options.fallback.commit,
      date: unit.updatedAt,
      wallMinutes: ((tune?.seconds ?? 0) + unit.seconds) / 60,
      machine: provenance?.machine ?? options.fallback.machine,
      note: notes.join('; '),
    });
  }
  return records;
}

/**
 * Appends to `ledgerFile` the records of `outDir`'s complete evaluations that it does not hold yet (by experiment,
 * dataset, split and seed), so importing a folder again, or after more units finished, adds only what is new.
 *
 * @returns the records appended and how many were there already
 * @throws BenchStateError when `outDir` has no benchmark state; EvaluationInputError for a malformed ledger line
 */
export async function appendPaperLedger(
  outDir: string,
  ledgerFile: string,
  options: Omit<PaperLedgerOptions, 'outDir'>,
): Promise<{ readonly added: readonly LedgerRecord[]; readonly present: number }> {
  const state = await readBenchState(outDir);
  if (!state) throw new BenchStateError(path.join(outDir, benchStateFile), 'does not exist: not a benchmark output folder');
  const existing = existsSync(ledgerFile) ? parseLedger(await readFile(ledgerFile, 'utf8'), ledgerFile) : [];
  const known = new Set(existing.map(ledgerKey));
  const records = paperLedgerRecords(state, { ...options, outDir });
  const added = records.filter((record) => !known.has(ledgerKey(record)));
  const lines = added.map(ledgerLine).join(''); // every record checked before anything is written
  if (lines !== '') {
    await mkdir(path.dirname(path.resolve(ledgerFile)), { recursive: true });
    await appendFile(ledgerFile, lines);
  }
  return { added, present: records.length - added.length };
}

/** The ledger's identity of a record: a run appears once per (experiment, dataset, split, seed). */
export function ledgerKey(record: Pick<LedgerRecord, 'experiment' | 'dataset' | 'split' | 'seed'>): string {
  return JSON.stringify([record.experiment, record.dataset, record.split, record.seed]);
}

/** The `umd-bench paper` command of a grid (its data, profile, tasks, rows and seeds), as a state records it. */
function gridCommand(state: BenchState, outDir: string, split: 'validate' | 'test'): string {
  const { grid } = state;
  const parts = ['umd-bench paper', grid.data === 'phantom' ? '--phantom' : `--data ${grid.data}`, `--profile ${grid.profile.name}`, `--out ${outDir}`];
  parts.push(`--split ${split}`, `--tasks ${grid.tasks.join(',')}`, `--seeds ${grid.seeds.join(',')}`);
  return parts.join(' ');
}

/** The shared units a row's tuning starts from: its pre-training, then its calibration. */
function upstreamOf(state: BenchState, task: PaperTask, row: PaperRow): string[] {
  const spec = rowSpecs[row];
  if (!spec.pretrain) return [];
  const pretrain = `pretrain/${spec.pretrain}`;
  return spec.calibrate ? [pretrain, `calibrate/${spec.pretrain}/${task}`].filter((id) => state.units[id]) : [pretrain];
}

function minutesOf(seconds: number | undefined): string {
  return seconds === undefined ? '?' : (seconds / 60).toFixed(1);
}
