import { InvalidConfigError } from '../errors/invalid-config-error.js';
import type { CoordinationStrategy, StrategyConfig } from '../types.js';
import { agmStrategy } from './agm.js';
import { gradientNormStrategy } from './gradient-norm.js';
import { lossDescentStrategy } from './loss-descent.js';
import { ogmGeStrategy } from './ogm-ge.js';

/** The `kind`s `createStrategy` accepts. */
export const strategyKinds = ['ogm-ge', 'gradient-norm', 'loss-descent', 'agm'] as const satisfies readonly StrategyConfig['kind'][];

/** Builds a built-in strategy from its config; throws `InvalidConfigError` for an unknown kind or a bad `alpha`. */
export function createStrategy(config: StrategyConfig): CoordinationStrategy {
  if (typeof config.alpha !== 'number' || !Number.isFinite(config.alpha) || config.alpha < 0) {
    throw new InvalidConfigError('strategy.alpha', config.alpha, 'a finite number ≥ 0 (OGM-GE used 0.1–1)');
  }
  switch (config.kind) {
    case 'ogm-ge':
      return ogmGeStrategy(config);
    case 'gradient-norm':
      return gradientNormStrategy(config);
    case 'loss-descent':
      return lossDescentStrategy(config);
    case 'agm':
      return agmStrategy(config);
    default:
      throw new InvalidConfigError('strategy.kind', (config as { kind: unknown }).kind, `one of ${strategyKinds.map((kind) => `'${kind}'`).join(', ')}`);
  }
}
