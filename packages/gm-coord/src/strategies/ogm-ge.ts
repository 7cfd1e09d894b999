import type { CoordinationStrategy, OgmGeStrategyConfig, StrategyOutput } from '../types.js';
import { discrepancyCoefficient, ratiosToOthers } from './discrepancy.js';

/** OGM-GE (Peng et al., CVPR 2022) over M ≥ 2 modalities; stateless. See {@link OgmGeStrategyConfig}. */
export function ogmGeStrategy(config: OgmGeStrategyConfig): CoordinationStrategy {
  return {
    name: 'ogm-ge',
    signal: 'score',
    noise: config.noise ?? true,
    compute(scores: readonly number[]): StrategyOutput {
      const ratios = ratiosToOthers(scores);
      return { ratios, coefficients: ratios.map((ratio) => discrepancyCoefficient(ratio, config.alpha)) };
    },
  };
}
