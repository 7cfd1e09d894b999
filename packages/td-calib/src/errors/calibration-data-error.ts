import { UmdError } from '@umd/core';

/** A sample whose split is not allowed in calibration. */
export interface CalibrationDataOffender {
  readonly id: string;
  readonly split: string;
}

/**
 * Calibration was given samples from a split it must not see (validation or test). Thrown before any work, so no
 * such sample reaches the statistics, the training steps or the loss measurements.
 */
export class CalibrationDataError extends UmdError {
  constructor(
    /** Every offending sample (the message names the first 10). */
    readonly offenders: readonly CalibrationDataOffender[],
    /** The splits calibration accepts (`allowedSplits`). */
    readonly allowedSplits: readonly string[],
    /** How many samples were given in all. */
    readonly total: number,
  ) {
    const counts = new Map<string, number>();
    for (const { split } of offenders) counts.set(split, (counts.get(split) ?? 0) + 1);
    const bySplit = [...counts].map(([split, count]) => `${count} '${split}'`).join(', ');
    const shown = offenders
      .slice(0, 10)
      .map(({ id, split }) => `${JSON.stringify(id)} (${split})`)
      .join(', ');
    const more = offenders.length > 10 ? `, … and ${offenders.length - 10} more` : '';
    super({
      name: 'UMD_CalibrationDataError',
      message:
        `TD-Calib: ${offenders.length} of ${total} samples come from splits not allowed in calibration (${bySplit}; ` +
        `allowed: ${allowedSplits.map((split) => `'${split}'`).join(', ')}): ${shown}${more}. Calibrate on the downstream ` +
        `training split only (a validation split carved from train must carry split 'validate' and stay out).`,
    });
  }
}
