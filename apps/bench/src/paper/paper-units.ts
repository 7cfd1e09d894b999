import { evaluateUnitId, type CalibrateUnit, type PaperPlan, type PaperTask, type PretrainUnit, type TuneUnit } from './paper-grid.js';
import type { ReportSplit, SplitAvailability } from './split-availability.js';

/** The evaluation of one tuning cell's selected checkpoint on the reported split. */
export interface EvaluateUnit {
  readonly kind: 'evaluate';
  /** `evaluate/<task>/<row>/seed-<seed>/<split>`. */
  readonly id: string;
  readonly tune: TuneUnit;
  readonly split: ReportSplit;
}

/** Any unit of work of the paper benchmark. */
export type PaperUnit = PretrainUnit | CalibrateUnit | TuneUnit | EvaluateUnit;

/**
 * Every unit of the grid on `split`, in the order one process runs them: the pre-trainings, then per task its
 * calibrations and each tuning cell followed by its evaluation (none where the task lacks the split).
 */
export function orderedUnits(plan: PaperPlan, split: ReportSplit, availability: Readonly<Record<PaperTask, SplitAvailability>>): PaperUnit[] {
  const units: PaperUnit[] = [...plan.pretrainings];
  for (const task of plan.tasks) {
    units.push(...plan.calibrations.filter((unit) => unit.task === task));
    for (const tune of plan.tunings.filter((unit) => unit.task === task)) {
      units.push(tune);
      if (availability[task].available) units.push({ kind: 'evaluate', id: evaluateUnitId(tune, split), tune, split });
    }
  }
  return units;
}

/** The ids of the units whose results `unit` starts from. */
export function needsOf(unit: PaperUnit): string[] {
  switch (unit.kind) {
    case 'pretrain':
      return [];
    case 'calibrate':
      return [unit.pretrain];
    case 'tune':
      return [...(unit.pretrain ? [unit.pretrain] : []), ...(unit.calibrate ? [unit.calibrate] : [])];
    case 'evaluate':
      return [unit.tune.id];
  }
}
