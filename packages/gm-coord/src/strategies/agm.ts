import { InvalidConfigError } from '../errors/invalid-config-error.js';
import type { AgmStrategyConfig, CoordinationStrategy, StrategyOutput } from '../types.js';

interface AgmState {
  /** Running means of every earlier update's losses (AGM's ŝ). */
  readonly means: readonly number[] | null;
  readonly updates: number;
}

/**
 * AGM-style modulation (Li et al., ICCV 2023): each modality's relative standing against the running mean of its
 * own standing. Keeps the running means. See {@link AgmStrategyConfig}.
 */
export function agmStrategy(config: AgmStrategyConfig): CoordinationStrategy {
  const maxDeviation = config.maxDeviation ?? 7;
  if (!(maxDeviation > 0)) {
    throw new InvalidConfigError('strategy.maxDeviation', config.maxDeviation, 'a number > 0 (default 7)');
  }
  let means: number[] | null = null;
  let updates = 0;
  return {
    name: 'agm',
    signal: 'loss',
    noise: config.noise ?? false,
    compute(losses: readonly number[]): StrategyOutput {
      const ratios = standing(losses);
      const targets = means === null ? losses.map(() => 1) : standing(means);
      const coefficients = ratios.map((ratio, m) => Math.exp(config.alpha * Math.min((targets[m] ?? 1) - ratio, maxDeviation)));
      // ŝ ← ŝ · (n − 1) / n + s / n: the mean of all updates so far, this one included, for the next call.
      updates += 1;
      const n = updates;
      means = losses.map((loss, m) => ((means?.[m] ?? 0) * (n - 1)) / n + loss / n);
      return { ratios, coefficients };
    },
    state(): AgmState {
      return { means, updates };
    },
    restore(state: unknown): void {
      const saved = state as AgmState;
      means = saved.means === null ? null : [...saved.means];
      updates = saved.updates;
    },
  };
}

/** r_m = exp(M/(M−1) · (mean_j L_j − L_m)): > 1 for a modality whose loss is below the others'. */
function standing(losses: readonly number[]): number[] {
  const M = losses.length;
  const mean = losses.reduce((sum, loss) => sum + loss, 0) / M;
  return losses.map((loss) => Math.exp((M / (M - 1)) * (mean - loss)));
}
