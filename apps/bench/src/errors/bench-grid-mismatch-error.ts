import { UmdError } from '@umd/core';

/**
 * The output folder holds a benchmark of another grid or profile than the one asked for, so resuming would mix
 * results. Lists every difference (`seeds: 3 -> 1`).
 */
export class BenchGridMismatchError extends UmdError {
  constructor(
    readonly file: string,
    readonly differences: readonly string[],
  ) {
    super({
      name: 'UMD_BenchGridMismatchError',
      message:
        `${file} belongs to a benchmark with another grid or profile (${differences.length} difference${differences.length === 1 ? '' : 's'}: ` +
        `${differences.join('; ')}). Resume it with the same options, start it over with --no-resume, or choose another --out folder.`,
    });
  }
}
