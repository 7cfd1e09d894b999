import { UmdError } from '@umd/core';

/** `--resume` with a config that differs from the one a stage started with. */
export class StageConfigMismatchError extends UmdError {
  constructor(
    readonly stage: string,
    /** Dotted keys whose values differ (`finetune.epochs: 10 -> 3`). */
    readonly differences: readonly string[],
    readonly file: string,
  ) {
    super({
      name: 'UMD_StageConfigMismatchError',
      message:
        `Cannot resume ${stage}: the config differs from the one it started with (recorded in ${file}):\n` +
        differences.map((line) => `  - ${line}`).join('\n') +
        '\nRestore those values to resume, or run without --resume to start the stage over.',
    });
  }
}
