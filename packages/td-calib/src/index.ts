/**
 * @umd/td-calib: TD-Calib, the calibration stage between MR pre-training and task tuning — re-estimated input
 * statistics, the MR objectives continued on downstream training data, and a decaying reconstruction loss for task
 * tuning. Named exports only (see STYLE.md b3).
 */
// The leakage guard.
export { assertAllowedSplits, defaultAllowedSplits } from './assert-allowed-splits.js';
export { CalibrationDataError } from './errors/calibration-data-error.js';
export type { CalibrationDataOffender } from './errors/calibration-data-error.js';

// Input statistics.
export { estimateImageStatistics } from './estimate-image-statistics.js';
export type { EstimateImageStatisticsOptions, ImageStatistics } from './estimate-image-statistics.js';

// Calibration.
export { calibrate, defaultLearningRateFraction } from './calibrate.js';
export type {
  CalibratedCheckpointMetadata,
  CalibrateOptions,
  CalibrationEvent,
  CalibrationRecord,
  CalibrationResult,
  CalibrationRunConfig,
} from './calibrate.js';
export type { MrLossValues } from './measure-mr-losses.js';

// The decaying reconstruction loss of task tuning.
export { createReconstructionRegularizer, reconstructionWeightAt } from './reconstruction-regularizer.js';
export type {
  AuxiliaryLoss,
  ReconstructionBatch,
  ReconstructionRegularizer,
  ReconstructionRegularizerOptions,
  ReconstructionWeightSchedule,
} from './reconstruction-regularizer.js';
