import { UmdError } from './umd-error.js';

/** Training produced a NaN or infinite loss. The last good checkpoint (if any) is named so the run can resume from it. */
export class NonFiniteLossError extends UmdError {
  constructor(
    readonly step: number,
    readonly loss: number,
    readonly lastCheckpoint: string | undefined,
  ) {
    super({
      name: 'UMD_NonFiniteLossError',
      message:
        `Loss is ${loss} at step ${step}; training stopped. ` +
        (lastCheckpoint
          ? `The last good checkpoint is ${lastCheckpoint} (it was not overwritten); resume from it with a lower learning rate or stronger clipping.`
          : 'No checkpoint had been written yet; lower the learning rate or enable gradient clipping.'),
    });
  }
}
