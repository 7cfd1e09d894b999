import { InvalidConfigError } from '../errors/invalid-config-error.js';

/** Decay after the warm-up: linear warm-up from 0 to the base rate, then decay to `minLearningRate` at `totalSteps`. */
interface DecaySchedule {
  /** Steps of linear warm-up from 0 (step 0) to the base rate (step `warmupSteps`); 0 for none. */
  readonly warmupSteps: number;
  /** Step at which the rate reaches `minLearningRate`; it stays there afterwards. ≥ `warmupSteps`, > 0. */
  readonly totalSteps: number;
  /** Final rate, absolute (not a fraction of the base rate). Default 0. */
  readonly minLearningRate?: number;
}

/** How the learning rate changes with the step (MAE's `lr_sched.py`, nanoGPT's `get_lr`). */
export type LrSchedule = { readonly kind: 'constant' } | ({ readonly kind: 'linear' } & DecaySchedule) | ({ readonly kind: 'cosine' } & DecaySchedule);

/**
 * The learning rate at `step` (0-based; fractional steps are allowed): `baseLearningRate · step / warmupSteps` during
 * the warm-up, then a linear or half-cosine decay from `baseLearningRate` to `minLearningRate` at `totalSteps`, and
 * `minLearningRate` after. Pure; throws `InvalidConfigError` on an invalid schedule or step.
 */
export function learningRateAt(step: number, baseLearningRate: number, schedule: LrSchedule): number {
  if (!(Number.isFinite(step) && step >= 0)) throw new InvalidConfigError('step', step, 'a finite number ≥ 0');
  validateLrSchedule(schedule, baseLearningRate);
  if (schedule.kind === 'constant') return baseLearningRate;

  const { warmupSteps, totalSteps } = schedule;
  const minLearningRate = schedule.minLearningRate ?? 0;
  if (step < warmupSteps) return (baseLearningRate * step) / warmupSteps;
  if (step >= totalSteps) return minLearningRate;
  const progress = (step - warmupSteps) / (totalSteps - warmupSteps); // in [0, 1)
  const factor = schedule.kind === 'linear' ? 1 - progress : 0.5 * (1 + Math.cos(Math.PI * progress));
  return minLearningRate + (baseLearningRate - minLearningRate) * factor;
}

/**
 * Checks a schedule once, at the entry point that receives it (a trainer config), so mistakes surface before training.
 * `learningRateAt` runs the same checks.
 */
export function validateLrSchedule(schedule: LrSchedule, baseLearningRate: number): void {
  if (!(Number.isFinite(baseLearningRate) && baseLearningRate >= 0)) {
    throw new InvalidConfigError('baseLearningRate', baseLearningRate, 'a finite number ≥ 0');
  }
  if (schedule.kind === 'constant') return;
  const kind: string = schedule.kind; // configs may come from JSON: check what the type promises
  if (kind !== 'linear' && kind !== 'cosine') {
    throw new InvalidConfigError('schedule.kind', kind, "'constant', 'linear' or 'cosine'");
  }
  const { warmupSteps, totalSteps, minLearningRate = 0 } = schedule;
  if (!(Number.isInteger(totalSteps) && totalSteps > 0)) {
    throw new InvalidConfigError('schedule.totalSteps', totalSteps, 'an integer > 0');
  }
  if (!(Number.isInteger(warmupSteps) && warmupSteps >= 0 && warmupSteps <= totalSteps)) {
    throw new InvalidConfigError('schedule.warmupSteps', warmupSteps, `an integer in [0, totalSteps = ${totalSteps}]`);
  }
  if (!(Number.isFinite(minLearningRate) && minLearningRate >= 0 && minLearningRate <= baseLearningRate)) {
    const allowed = `a number in [0, baseLearningRate = ${baseLearningRate}]`;
    throw new InvalidConfigError('schedule.minLearningRate', minLearningRate, allowed);
  }
}
