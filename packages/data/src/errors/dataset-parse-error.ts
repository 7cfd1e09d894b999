import { UmdError } from '@umd/core';

/**
 * A dataset file is not well-formed (JSON, JSON Lines, CSV or a delimited text format). Carries the file and the
 * 1-based line and column where reading failed.
 */
export class DatasetParseError extends UmdError {
  constructor(
    /** Absolute path of the file. */
    readonly file: string,
    /** 1-based line of the problem. */
    readonly line: number,
    /** 1-based column of the problem (in UTF-16 code units, as editors count). */
    readonly column: number,
    /** What is wrong at that position, e.g. `expected ',' or '}'`. */
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super({
      name: 'UMD_DatasetParseError',
      message: `${file}:${line}:${column}: ${reason}. Fix the file at that position (or re-download it: a truncated copy fails this way).`,
      cause: options.cause,
    });
  }
}
