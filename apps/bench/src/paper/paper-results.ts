import { meanInterval } from '@umd/evaluation';

import type { BenchState, CalibrateUnitResult, EvaluateUnitResult, PretrainUnitResult, TuneUnitResult, UnitRecord } from './bench-state.js';
import { evaluateUnitId, rowSpecs, taskKindOf, type PaperPlan, type PaperRow, type PaperTask } from './paper-grid.js';
import type { PaperProfile } from './paper-profile.js';
import { orientationNumbers, publishedAnchors, type ReferenceRow } from './published-anchors.js';
import type { ReportSplit, SplitAvailability } from './split-availability.js';
import type { TextFloor } from './text-floors.js';

/** A metric column of a task's table. */
export interface MetricColumn {
  /** Key in the evaluation's metrics (`overall`, `t2i.r1`, …). */
  readonly key: string;
  readonly header: string;
}

/** The columns of each task kind: VQA overall/open/closed; accuracy, macro-F1; Recall@1/5/10 both ways and their mean. */
export const metricColumns: Readonly<Record<'vqa' | 'classification' | 'retrieval', readonly MetricColumn[]>> = {
  vqa: [
    { key: 'overall', header: 'overall' },
    { key: 'open', header: 'open' },
    { key: 'closed', header: 'closed' },
  ],
  classification: [
    { key: 'accuracy', header: 'accuracy' },
    { key: 'macroF1', header: 'macro-F1' },
  ],
  retrieval: [
    { key: 't2i.r1', header: 'T→I R@1' },
    { key: 't2i.r5', header: 'T→I R@5' },
    { key: 't2i.r10', header: 'T→I R@10' },
    { key: 'i2t.r1', header: 'I→T R@1' },
    { key: 'i2t.r5', header: 'I→T R@5' },
    { key: 'i2t.r10', header: 'I→T R@10' },
    { key: 'meanRecall', header: 'mean recall' },
  ],
};

/** A mean over seeds with its 95% Student-t interval (values in [0, 1]). */
export interface SeedSummary {
  readonly mean: number;
  readonly low: number;
  readonly high: number;
  readonly halfWidth: number;
  readonly n: number;
  /** One value per completed seed, in seed order. */
  readonly values: readonly number[];
}

/** One row of a task's table. */
export interface ResultRow {
  /** `model`: trained here over seeds; `floor`: computed here without a model or without images; `reference`: measured elsewhere. */
  readonly kind: 'model' | 'floor' | 'reference';
  /** The grid row (`mr-full+td-calib`), the floor (`majority`) or the reference (`m3ae`, `orientation`). */
  readonly id: string;
  readonly label: string;
  /** Metric key → summary over seeds (model rows), or a single value (floor and reference rows); null: not available. */
  readonly cells: Readonly<Record<string, SeedSummary | number | null>>;
  /** Model rows: the validation metric that selected each seed's checkpoint (headline metric). */
  readonly selection?: SeedSummary;
  /** Model rows: seeds with a finished evaluation, of those asked. */
  readonly seedsDone?: number;
  readonly seedsAsked?: number;
  /** Model rows: mean wall-clock seconds per seed (tuning + evaluation; shared units are listed apart). */
  readonly secondsPerSeed?: number;
  /**
   * Model rows of the ladder: the headline metric (the first column) minus that of the row below it on the ladder
   * (`rowSpecs[row].pairedWith`), seed by seed over the seeds both have, as mean ± 95% CI of the differences.
   */
  readonly paired?: { readonly against: string; readonly metric: string; readonly difference: SeedSummary };
  /** Why cells are missing: not applicable, split absent, failed, pending; or where a reference number comes from. */
  readonly note?: string;
}

/** One task's table. */
export interface TaskResults {
  readonly task: PaperTask;
  readonly kind: 'vqa' | 'classification' | 'retrieval';
  readonly split: ReportSplit;
  readonly availability: SplitAvailability;
  readonly columns: readonly MetricColumn[];
  readonly rows: readonly ResultRow[];
}

/** A shared unit (pre-training or calibration) with its time. */
export interface SharedUnitSummary {
  readonly id: string;
  readonly status: UnitRecord['status'] | 'pending';
  readonly seconds: number;
  readonly detail: string;
}

/** `results.json`. */
export interface PaperResults {
  readonly formatVersion: 1;
  readonly profile: { readonly name: string; readonly summary: string; readonly smoke: boolean };
  readonly split: ReportSplit;
  /** The data folder, or `phantom`. */
  readonly data: string;
  readonly seeds: readonly number[];
  readonly generatedAt: string;
  /** Units finished, of all units of the grid on this split. */
  readonly unitsDone: number;
  readonly unitsTotal: number;
  /** Wall-clock seconds of every unit of every session. */
  readonly unitSeconds: number;
  readonly shared: readonly SharedUnitSummary[];
  readonly tasks: readonly TaskResults[];
}

/** What {@link buildPaperResults} reads. */
export interface PaperResultsInput {
  readonly plan: PaperPlan;
  readonly state: BenchState;
  readonly profile: PaperProfile;
  readonly split: ReportSplit;
  readonly data: string;
  readonly availability: Readonly<Record<string, SplitAvailability>>;
  /** Floors computed on the reported split, per task (absent when the split or the data is not available). */
  readonly floors: Readonly<Partial<Record<PaperTask, readonly TextFloor[]>>>;
  readonly now?: () => Date;
}

/**
 * The results of a (possibly partial) benchmark from its state: per task, the grid's rows as mean ± 95% CI over the
 * seeds finished, the floors computed here, and the published / orientation numbers as labelled reference rows.
 */
export function buildPaperResults(input: PaperResultsInput): PaperResults {
  const { plan, state, split } = input;
  const record = <R>(id: string): UnitRecord<R> | undefined => state.units[id] as UnitRecord<R> | undefined;
  const shared: SharedUnitSummary[] = [
    ...plan.pretrainings.map((unit): SharedUnitSummary => {
      const entry = record<PretrainUnitResult>(unit.id);
      const detail = entry?.result ? `${entry.result.steps} of ${entry.result.plannedSteps} steps (${unit.objectives})` : unit.objectives;
      return { id: unit.id, status: entry?.status ?? 'pending', seconds: entry?.seconds ?? 0, detail };
    }),
    ...plan.calibrations.map((unit): SharedUnitSummary => {
      const entry = record<CalibrateUnitResult>(unit.id);
      const detail = entry?.result
        ? `${entry.result.steps} steps; MR loss on the downstream set ${entry.result.lossBefore.toFixed(3)} → ${entry.result.lossAfter.toFixed(3)}`
        : '';
      return { id: unit.id, status: entry?.status ?? 'pending', seconds: entry?.seconds ?? 0, detail };
    }),
  ];

  let unitsTotal = plan.pretrainings.length + plan.calibrations.length + plan.tunings.length;
  let unitsDone = shared.filter((unit) => unit.status === 'complete').length;
  unitsDone += plan.tunings.filter((unit) => record(unit.id)?.status === 'complete').length;

  const tasks = plan.tasks.map((task): TaskResults => {
    const kind = taskKindOf[task];
    const columns = metricColumns[kind];
    const availability = input.availability[task] ?? { available: false, reason: 'n/a (split not checked)' };
    const rows: ResultRow[] = [];
    const headlineBySeed = new Map<string, Map<number, number>>(); // row → seed → headline metric
    for (const row of plan.rows) {
      const spec = rowSpecs[row];
      const skipped = plan.skipped.find((cell) => cell.task === task && cell.row === row);
      const emptyCells = Object.fromEntries(columns.map((column) => [column.key, null]));
      if (skipped) {
        rows.push({ kind: 'model', id: row, label: spec.label, cells: emptyCells, note: skipped.reason });
        continue;
      }
      const tunes = plan.tunings.filter((unit) => unit.task === task && unit.row === row);
      const tuned = tunes.flatMap((unit) => {
        const entry = record<TuneUnitResult>(unit.id);
        return entry?.status === 'complete' && entry.result ? [{ unit, entry, result: entry.result }] : [];
      });
      const selections = tuned.flatMap(({ result }) => (result.best ? [result.best.metric] : []));
      const selection = summarize(selections);
      if (!availability.available) {
        rows.push({
          kind: 'model',
          id: row,
          label: spec.label,
          cells: emptyCells,
          ...(selection ? { selection } : {}),
          seedsDone: 0,
          seedsAsked: tunes.length,
          note: availability.reason,
        });
        continue;
      }
      unitsTotal += tunes.length;
      const evaluated = tuned.flatMap(({ unit, entry }) => {
        const evaluation = record<EvaluateUnitResult>(evaluateUnitId(unit, split));
        return evaluation?.status === 'complete' && evaluation.result
          ? [{ seed: unit.seed, seconds: entry.seconds + evaluation.seconds, result: evaluation.result }]
          : [];
      });
      const headline = columns[0]!.key;
      headlineBySeed.set(row, new Map(evaluated.map(({ seed, result }) => [seed, result.metrics[headline]?.value ?? Number.NaN])));
      const paired = pairedDifference(row, headline, headlineBySeed);
      unitsDone += evaluated.length;
      const cells = Object.fromEntries(
        columns.map((column) => [column.key, summarize(evaluated.map(({ result }) => result.metrics[column.key]?.value ?? Number.NaN)) ?? null]),
      );
      const failed = tunes.flatMap((unit) => {
        const tune = record(unit.id);
        const evaluation = record(evaluateUnitId(unit, split));
        const error = tune?.status === 'failed' ? tune.error : evaluation?.status === 'failed' ? evaluation.error : undefined;
        return error ? [`seed ${unit.seed} failed: ${firstLine(error)}`] : [];
      });
      const pending = tunes.length - evaluated.length - failed.length;
      const notes = [...failed, ...(pending > 0 ? [`${pending} of ${tunes.length} seeds not run yet`] : [])];
      rows.push({
        kind: 'model',
        id: row,
        label: spec.label,
        cells,
        ...(selection ? { selection } : {}),
        seedsDone: evaluated.length,
        seedsAsked: tunes.length,
        ...(evaluated.length > 0 ? { secondsPerSeed: evaluated.reduce((sum, { seconds }) => sum + seconds, 0) / evaluated.length } : {}),
        ...(paired ? { paired } : {}),
        ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
      });
    }
    for (const floor of availability.available ? (input.floors[task] ?? []) : []) {
      rows.push({
        kind: 'floor',
        id: floor.name,
        label: floor.label,
        cells: Object.fromEntries(columns.map((column) => [column.key, floor.metrics[column.key] ?? null])),
      });
    }
    const references: readonly ReferenceRow[] = [...publishedAnchors, ...orientationNumbers].filter((reference) => reference.task === task);
    for (const reference of references) {
      rows.push({
        kind: 'reference',
        id: reference.label.startsWith('M3AE') ? 'm3ae' : 'orientation',
        label: `${reference.label} [${reference.split} split]`,
        cells: Object.fromEntries(columns.map((column) => [column.key, reference.metrics[column.key] ?? null])),
        note: reference.source,
      });
    }
    return { task, kind, split, availability, columns, rows };
  });

  const unitSeconds = Object.values(state.units).reduce((sum, unit) => sum + unit.seconds, 0);
  return {
    formatVersion: 1,
    profile: { name: input.profile.name, summary: input.profile.summary, smoke: input.profile.smoke },
    split,
    data: input.data,
    seeds: plan.seeds,
    generatedAt: (input.now?.() ?? new Date()).toISOString(),
    unitsDone,
    unitsTotal,
    unitSeconds,
    shared,
    tasks,
  };
}

/** `row`'s headline metric minus its ladder neighbour's, over the seeds both have (rows come in ladder order). */
function pairedDifference(row: PaperRow, metric: string, bySeed: ReadonlyMap<string, ReadonlyMap<number, number>>): ResultRow['paired'] {
  const against = rowSpecs[row].pairedWith;
  const mine = bySeed.get(row);
  const theirs = against === undefined ? undefined : bySeed.get(against);
  if (!against || !mine || !theirs) return undefined;
  const differences = [...mine].flatMap(([seed, value]) => (theirs.has(seed) ? [value - theirs.get(seed)!] : []));
  const difference = summarize(differences);
  return difference ? { against, metric, difference } : undefined;
}

/** The first line of an error message, at most 200 characters (the whole message is in the state file). */
function firstLine(message: string): string {
  const line = message.split('\n')[0]!;
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

/** Mean ± 95% CI of the finite values; undefined when there are none. */
function summarize(values: readonly number[]): SeedSummary | undefined {
  if (values.length === 0 || values.some((value) => !Number.isFinite(value))) return undefined;
  const interval = meanInterval(values);
  return { mean: interval.estimate, low: interval.low, high: interval.high, halfWidth: interval.halfWidth, n: interval.n, values: [...values] };
}
