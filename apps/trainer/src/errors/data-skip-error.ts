import { UmdError } from '@umd/core';

/** A split lost more of its records to problems (missing images, missing fields) than `data.maxSkippedFraction` allows. */
export class DataSkipError extends UmdError {
  constructor(
    readonly dataset: string,
    readonly split: string,
    readonly skipped: number,
    readonly records: number,
    readonly maxFraction: number,
    details: readonly string[],
  ) {
    super({
      name: 'UMD_DataSkipError',
      message:
        `${dataset}: ${skipped} of ${records} ${split} records (${((100 * skipped) / records).toFixed(1)}%) could not be used, more than ` +
        `data.maxSkippedFraction = ${maxFraction}. ${details.join(' ')} Fix the files (umd-data inspect --decode lists every problem) or raise the limit.`,
    });
  }
}
