/**
 * @umd/gm-coord: gradient-guided modality coordination (OGM-GE and related strategies). This entry is pure
 * TypeScript (no tfjs, no Node-only API); the tfjs adapter lives at `@umd/gm-coord/tfjs`. Named exports only.
 */
// Coordinator: status signals in, coefficients out.
export { createCoordinator } from './coordinator.js';
export type { Coordinator, CoordinatorConfig, CoordinatorState, UpdateOptions } from './coordinator.js';

// Strategies.
export { createStrategy, strategyKinds } from './strategies/create-strategy.js';
export type {
  AgmStrategyConfig,
  Coordination,
  CoordinationStrategy,
  GradientNormStrategyConfig,
  LossDescentStrategyConfig,
  ModalitySignal,
  ModalitySignals,
  OgmGeStrategyConfig,
  SignalName,
  StrategyConfig,
  StrategyOutput,
} from './types.js';

// Trace.
export { CoefficientTrace } from './coefficient-trace.js';
export type { CoefficientTraceJson, ModalityTraceJson } from './coefficient-trace.js';

// Errors.
export { GmCoordError } from './errors/gm-coord-error.js';
export { InvalidConfigError } from './errors/invalid-config-error.js';
export { InvalidSignalError } from './errors/invalid-signal-error.js';
export { ParameterGroupError } from './errors/parameter-group-error.js';
export { ShapeMismatchError } from './errors/shape-mismatch-error.js';
