import { InvalidConfigError } from '../errors/invalid-config-error.js';
import type { CoordinationStrategy, LossDescentStrategyConfig, StrategyOutput } from '../types.js';
import { discrepancyCoefficient } from './discrepancy.js';

interface LossDescentState {
  readonly previous: readonly number[] | null;
}

/**
 * The OGM discrepancy rule read from each unimodal loss's relative descent per update. Keeps the previous loss.
 * See {@link LossDescentStrategyConfig}.
 */
export function lossDescentStrategy(config: LossDescentStrategyConfig): CoordinationStrategy {
  const epsilon = config.epsilon ?? 1e-3;
  if (!(epsilon > 0) || !Number.isFinite(epsilon)) {
    throw new InvalidConfigError('strategy.epsilon', config.epsilon, 'a finite number > 0 (default 1e-3)');
  }
  let previous: readonly number[] | null = null;
  return {
    name: 'loss-descent',
    signal: 'loss',
    noise: config.noise ?? false,
    compute(losses: readonly number[]): StrategyOutput {
      const last = previous;
      previous = [...losses];
      if (last === null) return { ratios: losses.map(() => 1), coefficients: losses.map(() => 1) };
      // d_m: relative decrease since the last update; a rising loss counts as no progress.
      const rates = losses.map((loss, m) => {
        const before = last[m] ?? loss;
        return before > 0 ? Math.max(0, (before - loss) / before) : 0;
      });
      const total = rates.reduce((sum, rate) => sum + rate, 0);
      const ratios = rates.map((rate) => (rate + epsilon) / ((total - rate) / (rates.length - 1) + epsilon));
      return { ratios, coefficients: ratios.map((ratio) => discrepancyCoefficient(ratio, config.alpha)) };
    },
    state(): LossDescentState {
      return { previous };
    },
    restore(state: unknown): void {
      previous = (state as LossDescentState).previous;
    },
  };
}
