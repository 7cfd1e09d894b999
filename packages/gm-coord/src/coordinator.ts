import { InvalidConfigError } from './errors/invalid-config-error.js';
import { InvalidSignalError } from './errors/invalid-signal-error.js';
import { createStrategy } from './strategies/create-strategy.js';
import type { Coordination, CoordinationStrategy, ModalitySignals, SignalName, StrategyConfig } from './types.js';

/** Configures a {@link Coordinator}. Plain data apart from an optional custom strategy object. */
export interface CoordinatorConfig {
  /** Modality names in a fixed order, e.g. `['text', 'vision']`. At least two, unique. */
  readonly modalities: readonly string[];
  /** A built-in strategy's config, or your own {@link CoordinationStrategy}. */
  readonly strategy: StrategyConfig | CoordinationStrategy;
  /**
   * EMA decay β in [0, 1) applied to each modality's signal before the strategy sees it:
   * status ← β · status + (1 − β) · signal, starting from the first signal. Default 0 (no smoothing). Per-batch
   * signals are noisy; 0.9 averages over roughly the last ten updates.
   */
  readonly emaDecay?: number;
  /** Updates with `step < warmupSteps` return k = 1 (status and strategy history still update). Default 0. */
  readonly warmupSteps?: number;
  /** Updates with `step ≥ stopStep` return k = 1. Default `Infinity` (OGM-GE stops modulating late in training). */
  readonly stopStep?: number;
  /** Floor on every active coefficient, in [0, 1]. Default 0 (OGM-GE's k can reach 0 for a far-ahead modality). */
  readonly minCoefficient?: number;
}

/** Options for one {@link Coordinator.update}. */
export interface UpdateOptions {
  /**
   * The step (or epoch) this update belongs to, compared with `warmupSteps`/`stopStep` and recorded in traces.
   * Default: the number of earlier updates. Pass the epoch index to window per-step updates by epoch.
   */
  readonly step?: number;
}

/** Plain-JSON coordinator state for checkpoints. */
export interface CoordinatorState {
  readonly formatVersion: 1;
  readonly modalities: readonly string[];
  readonly updates: number;
  readonly status: readonly number[] | null;
  readonly strategy: unknown;
}

/** Turns per-modality status signals into per-modality gradient coefficients, one update at a time. Holds no tensors. */
export interface Coordinator {
  readonly modalities: readonly string[];
  readonly strategy: CoordinationStrategy;
  /**
   * Reads the strategy's signal field for every configured modality, smooths it, and returns the coefficients.
   * Throws `InvalidSignalError` for a missing, non-finite or negative signal or an unknown modality.
   */
  update(signals: ModalitySignals, options?: UpdateOptions): Coordination;
  /** Number of updates so far. */
  readonly updates: number;
  state(): CoordinatorState;
  /** Restores what `state()` returned (same modalities required). */
  restore(state: CoordinatorState): void;
}

/**
 * Creates a coordinator. Validates the config once and throws `InvalidConfigError` naming the bad key.
 *
 * ```ts
 * const coordinator = createCoordinator({ modalities: ['text', 'vision'], strategy: { kind: 'ogm-ge', alpha: 0.5 } });
 * const { coefficients } = coordinator.update({ text: { score: 40.2 }, vision: { score: 21.7 } });
 * // coefficients.text ≈ 0.60 (ρ = 1.85: slowed), coefficients.vision = 1
 * ```
 */
export function createCoordinator(config: CoordinatorConfig): Coordinator {
  const modalities = validateModalities(config.modalities);
  const emaDecay = checkRange('emaDecay', config.emaDecay ?? 0, 0, 1, 'a number in [0, 1) (default 0)', true);
  const warmupSteps = checkRange('warmupSteps', config.warmupSteps ?? 0, 0, Infinity, 'a number ≥ 0 (default 0)');
  const stopStep = config.stopStep ?? Number.POSITIVE_INFINITY;
  if (typeof stopStep !== 'number' || Number.isNaN(stopStep) || stopStep < warmupSteps) {
    throw new InvalidConfigError('stopStep', config.stopStep, `a number ≥ warmupSteps (${warmupSteps}), or Infinity (default)`);
  }
  const minCoefficient = checkRange('minCoefficient', config.minCoefficient ?? 0, 0, 1, 'a number in [0, 1] (default 0)');
  const strategy = isCustomStrategy(config.strategy) ? config.strategy : createStrategy(config.strategy);

  let status: number[] | null = null;
  let updates = 0;

  return {
    modalities,
    strategy,
    get updates() {
      return updates;
    },
    update(signals, options = {}) {
      const raw = readSignals(signals, modalities, strategy.signal);
      const previous = status;
      status = previous === null ? raw : raw.map((value, m) => emaDecay * (previous[m] ?? value) + (1 - emaDecay) * value);
      const update = updates;
      const step = options.step ?? update;
      updates += 1;
      const { ratios, coefficients } = strategy.compute(status);
      const active = step >= warmupSteps && step < stopStep;
      const smoothed = status;
      const perModality = (values: readonly number[]): Record<string, number> =>
        Object.fromEntries(modalities.map((name, m) => [name, values[m] ?? Number.NaN]));
      return {
        update,
        step,
        active,
        noise: active && strategy.noise,
        coefficients: perModality(coefficients.map((k) => (active ? Math.max(minCoefficient, k) : 1))),
        ratios: perModality(ratios),
        signals: perModality(raw),
        status: perModality(smoothed),
      };
    },
    state() {
      return { formatVersion: 1, modalities, updates, status, strategy: strategy.state?.() ?? null };
    },
    restore(state) {
      if (state.modalities.join('\u0000') !== modalities.join('\u0000')) {
        throw new InvalidConfigError('state.modalities', state.modalities, `the coordinator's modalities ${JSON.stringify(modalities)}`);
      }
      updates = state.updates;
      status = state.status === null ? null : [...state.status];
      strategy.restore?.(state.strategy);
    },
  };
}

function isCustomStrategy(strategy: StrategyConfig | CoordinationStrategy): strategy is CoordinationStrategy {
  return typeof (strategy as Partial<CoordinationStrategy>).compute === 'function';
}

function validateModalities(modalities: readonly string[]): readonly string[] {
  const unique = new Set(modalities);
  if (!Array.isArray(modalities) || modalities.length < 2 || unique.size !== modalities.length || modalities.some((m) => typeof m !== 'string' || m === '')) {
    throw new InvalidConfigError('modalities', modalities, 'two or more unique, non-empty names, e.g. ["text", "vision"]');
  }
  return Object.freeze([...modalities]);
}

function checkRange(key: string, value: number, min: number, max: number, allowed: string, maxExclusive = false): number {
  const tooHigh = maxExclusive ? value >= max : value > max;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || tooHigh) throw new InvalidConfigError(key, value, allowed);
  return value;
}

function readSignals(signals: ModalitySignals, modalities: readonly string[], field: SignalName): number[] {
  for (const name of Object.keys(signals)) {
    if (!modalities.includes(name)) {
      throw new InvalidSignalError(name, 'modality', name, `Configured modalities are ${modalities.map((m) => `'${m}'`).join(', ')}.`);
    }
  }
  return modalities.map((name) => {
    const value = signals[name]?.[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InvalidSignalError(
        name,
        field,
        value,
        value === undefined
          ? `The strategy reads '${field}' for every modality; pass { ${name}: { ${field}: … } }.`
          : `Expected a finite number ≥ 0; a NaN here usually means the loss diverged.`,
      );
    }
    return value;
  });
}
