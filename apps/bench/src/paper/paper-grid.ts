import { InvalidConfigError } from '@umd/core';

/** The ablation ladder of DESIGN.md "Benchmark protocol", in table order. */
export const paperVariants = ['scratch', 'mr-data', 'mr-full', 'mr-full+td-calib', 'mr-full+td-calib+gm-coord'] as const;
export type PaperVariant = (typeof paperVariants)[number];

/** The downstream tasks of the paper benchmark, in table order. */
export const paperTasks = ['vqa-rad', 'slake', 'medpix-retrieval', 'medpix-classification'] as const;
export type PaperTask = (typeof paperTasks)[number];

/** A trained row of a task's table: an ablation variant, or the text-only floor model (never sees an image). */
export type PaperRow = PaperVariant | 'text-only';

/** The rows that train a model, in table order. */
export const paperRows: readonly PaperRow[] = [...paperVariants, 'text-only'];

/** The evaluation task of each benchmark task. */
export const taskKindOf: Readonly<Record<PaperTask, 'vqa' | 'classification' | 'retrieval'>> = {
  'vqa-rad': 'vqa',
  slake: 'vqa',
  'medpix-retrieval': 'retrieval',
  'medpix-classification': 'classification',
};

/** How a row is trained. */
export interface RowSpec {
  readonly row: PaperRow;
  /** The label printed in the results table. */
  readonly label: string;
  /** MR-Pretrain objectives of the shared pre-training it starts from; absent: from scratch. */
  readonly pretrain?: 'data-level' | 'full';
  /** TD-Calib (calibration + its reconstruction regularizer during tuning). */
  readonly calibrate: boolean;
  /** GM-Coord during tuning (needs a class head: not for retrieval). */
  readonly gmCoord: boolean;
  /** Every image blanked: the question-only (caption-only) floor model. */
  readonly blindImage: boolean;
  /** The row this one is compared with, seed by seed (paired): the step of the ladder below it. Absent: none. */
  readonly pairedWith?: PaperRow;
}

export const rowSpecs: Readonly<Record<PaperRow, RowSpec>> = {
  scratch: { row: 'scratch', label: 'scratch (no pre-training)', calibrate: false, gmCoord: false, blindImage: false },
  'mr-data': {
    row: 'mr-data',
    label: 'MR-Pretrain, data level (L_MIM + L_MLM + L_ITM)',
    pretrain: 'data-level',
    calibrate: false,
    gmCoord: false,
    blindImage: false,
    pairedWith: 'scratch',
  },
  'mr-full': {
    row: 'mr-full',
    label: 'MR-Pretrain, full (+ L_FeaMIM + L_FeaMLM)',
    pretrain: 'full',
    calibrate: false,
    gmCoord: false,
    blindImage: false,
    pairedWith: 'mr-data',
  },
  'mr-full+td-calib': {
    row: 'mr-full+td-calib',
    label: '+ TD-Calib',
    pretrain: 'full',
    calibrate: true,
    gmCoord: false,
    blindImage: false,
    pairedWith: 'mr-full',
  },
  'mr-full+td-calib+gm-coord': {
    row: 'mr-full+td-calib+gm-coord',
    label: '+ GM-Coord (UMD)',
    pretrain: 'full',
    calibrate: true,
    gmCoord: true,
    blindImage: false,
    pairedWith: 'mr-full+td-calib',
  },
  'text-only': {
    row: 'text-only',
    label: 'floor: text-only model (scratch, every image blanked)',
    calibrate: false,
    gmCoord: false,
    blindImage: true,
    pairedWith: 'scratch',
  },
};

/** One MR pre-training, shared by every task and seed of the variants that start from it. */
export interface PretrainUnit {
  readonly kind: 'pretrain';
  /** `pretrain/<objectives>`; also its folder under `<out>/units/`. */
  readonly id: string;
  readonly objectives: 'data-level' | 'full';
}

/** One TD-Calib run per (pre-training, task): it depends on the task's training data, not on the tuning seed. */
export interface CalibrateUnit {
  readonly kind: 'calibrate';
  /** `calibrate/<objectives>/<task>`. */
  readonly id: string;
  readonly task: PaperTask;
  readonly pretrain: string;
}

/** One tuning run: a (task, row, seed) cell of the table. */
export interface TuneUnit {
  readonly kind: 'tune';
  /** `tune/<task>/<row>/seed-<seed>`. */
  readonly id: string;
  readonly task: PaperTask;
  readonly row: PaperRow;
  readonly seed: number;
  /** Id of the pre-training it starts from (absent: scratch). */
  readonly pretrain?: string;
  /** Id of the calibration it starts from (TD-Calib rows). */
  readonly calibrate?: string;
}

/** A (task, row) pair of the grid that is not run, and why (printed in its table). */
export interface SkippedCell {
  readonly task: PaperTask;
  readonly row: PaperRow;
  readonly reason: string;
}

/** Which part of the grid to run. */
export interface PaperGridOptions {
  /** Default: every task. */
  readonly tasks?: readonly PaperTask[];
  /** Default: every variant. */
  readonly variants?: readonly PaperVariant[];
  /** Seeds per cell, ≥ 1; the seeds are `baseSeed`, `baseSeed + 1`, … */
  readonly seeds: number;
  /** Default 0. */
  readonly baseSeed?: number;
  /** Include the text-only floor model row. Default true. */
  readonly floors?: boolean;
}

/** The expanded grid: every unit of work, each pre-training and calibration once. */
export interface PaperPlan {
  readonly tasks: readonly PaperTask[];
  readonly rows: readonly PaperRow[];
  readonly seeds: readonly number[];
  readonly pretrainings: readonly PretrainUnit[];
  readonly calibrations: readonly CalibrateUnit[];
  readonly tunings: readonly TuneUnit[];
  readonly skipped: readonly SkippedCell[];
}

/**
 * Expands the grid into units: one pre-training per MR variant (shared by every task and seed), one calibration per
 * (pre-training, task) (shared by the TD-Calib rows and every seed), one tuning per (task, row, seed). Tasks and rows
 * come out in table order whatever the order asked. GM-Coord and the text-only model are skipped for retrieval
 * (GM-Coord reads a class head's unimodal predictions; a caption-only model cannot rank images: its floor is chance).
 *
 * @throws InvalidConfigError for an unknown or repeated task or variant, or seeds that are not a positive integer
 */
export function expandPaperGrid(options: PaperGridOptions): PaperPlan {
  const tasks = pick('tasks', options.tasks ?? paperTasks, paperTasks);
  const variants = pick('variants', options.variants ?? paperVariants, paperVariants);
  if (!Number.isInteger(options.seeds) || options.seeds < 1) throw new InvalidConfigError('seeds', options.seeds, 'an integer ≥ 1');
  const baseSeed = options.baseSeed ?? 0;
  if (!Number.isInteger(baseSeed) || baseSeed < 0) throw new InvalidConfigError('baseSeed', baseSeed, 'an integer ≥ 0');
  const seeds = Array.from({ length: options.seeds }, (_, i) => baseSeed + i);
  const rows: PaperRow[] = [...variants, ...(options.floors === false ? [] : (['text-only'] as const))];

  const pretrainings = new Map<string, PretrainUnit>();
  const calibrations = new Map<string, CalibrateUnit>();
  const tunings: TuneUnit[] = [];
  const skipped: SkippedCell[] = [];
  for (const task of tasks) {
    for (const row of rows) {
      const spec = rowSpecs[row];
      const reason = skipReason(task, spec);
      if (reason) {
        skipped.push({ task, row, reason });
        continue;
      }
      let pretrain: PretrainUnit | undefined;
      if (spec.pretrain) {
        pretrain = { kind: 'pretrain', id: `pretrain/${spec.pretrain}`, objectives: spec.pretrain };
        pretrainings.set(pretrain.id, pretrain);
      }
      let calibrate: CalibrateUnit | undefined;
      if (spec.calibrate && pretrain) {
        calibrate = { kind: 'calibrate', id: `calibrate/${pretrain.objectives}/${task}`, task, pretrain: pretrain.id };
        calibrations.set(calibrate.id, calibrate);
      }
      for (const seed of seeds) {
        tunings.push({
          kind: 'tune',
          id: `tune/${task}/${row}/seed-${seed}`,
          task,
          row,
          seed,
          ...(pretrain ? { pretrain: pretrain.id } : {}),
          ...(calibrate ? { calibrate: calibrate.id } : {}),
        });
      }
    }
  }
  return { tasks, rows, seeds, pretrainings: [...pretrainings.values()], calibrations: [...calibrations.values()], tunings, skipped };
}

/** The id of the evaluation of a tuning run on one split: `evaluate/<task>/<row>/seed-<seed>/<split>`. */
export function evaluateUnitId(tune: Pick<TuneUnit, 'task' | 'row' | 'seed'>, split: 'validate' | 'test'): string {
  return `evaluate/${tune.task}/${tune.row}/seed-${tune.seed}/${split}`;
}

function skipReason(task: PaperTask, spec: RowSpec): string | undefined {
  if (taskKindOf[task] !== 'retrieval') return undefined;
  if (spec.gmCoord) return 'n/a: GM-Coord reads a class head’s unimodal predictions; retrieval has none';
  if (spec.blindImage) return 'n/a: a caption-only model cannot rank images (the floor is chance, below)';
  return undefined;
}

/** The asked values, checked and put in canonical order. */
function pick<T extends string>(key: string, asked: readonly string[], allowed: readonly T[]): T[] {
  const seen = new Set<string>();
  for (const value of asked) {
    if (!(allowed as readonly string[]).includes(value)) throw new InvalidConfigError(key, value, `one or more of ${allowed.join(', ')}`);
    if (seen.has(value)) throw new InvalidConfigError(key, value, 'each at most once');
    seen.add(value);
  }
  if (seen.size === 0) throw new InvalidConfigError(key, [], `one or more of ${allowed.join(', ')}`);
  return allowed.filter((value) => seen.has(value));
}
