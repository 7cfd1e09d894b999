import type { CoordinationStrategy, GradientNormStrategyConfig, StrategyOutput } from '../types.js';
import { discrepancyCoefficient, ratiosToOthers } from './discrepancy.js';

/** The OGM discrepancy rule read from gradient magnitudes; stateless. See {@link GradientNormStrategyConfig}. */
export function gradientNormStrategy(config: GradientNormStrategyConfig): CoordinationStrategy {
  return {
    name: 'gradient-norm',
    signal: 'gradientNorm',
    noise: config.noise ?? false,
    compute(norms: readonly number[]): StrategyOutput {
      const ratios = ratiosToOthers(norms);
      return { ratios, coefficients: ratios.map((ratio) => discrepancyCoefficient(ratio, config.alpha)) };
    },
  };
}
