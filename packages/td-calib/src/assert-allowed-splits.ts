import { InvalidConfigError } from '@umd/core';

import { CalibrationDataError, type CalibrationDataOffender } from './errors/calibration-data-error.js';

/** The splits calibration accepts by default: the downstream training split only. */
export const defaultAllowedSplits: readonly string[] = ['train'];

/**
 * The leakage guard of TD-Calib: checks every sample's `split` against `allowedSplits`, before anything reads an
 * image or a text. VQA-RAD-style validation samples carved from the training split carry split `'validate'`, so
 * they are rejected like SLAKE's `validate` and every `test` split.
 *
 * @throws CalibrationDataError listing the offending samples (id and split) and how many there are
 * @throws InvalidConfigError when `allowedSplits` is empty
 */
export function assertAllowedSplits(
  samples: readonly { readonly id: string; readonly split: string }[],
  allowedSplits: readonly string[] = defaultAllowedSplits,
): void {
  if (allowedSplits.length === 0) throw new InvalidConfigError('allowedSplits', allowedSplits, "at least one split name (default ['train'])");
  const allowed = new Set(allowedSplits);
  const offenders: CalibrationDataOffender[] = [];
  for (const { id, split } of samples) if (!allowed.has(split)) offenders.push({ id, split });
  if (offenders.length > 0) throw new CalibrationDataError(offenders, allowedSplits, samples.length);
}
