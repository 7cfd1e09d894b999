import { UmdError } from '@umd/core';

/**
 * Why a record cannot become a sample. The same values appear in {@link SkippedRecord.reason} when records are
 * skipped (`onError: 'skip'`) instead of thrown.
 */
export type RecordProblem =
  /** A required field is absent, `null` or empty. */
  | 'missing-field'
  /** A field has the wrong type or a value outside the allowed set. */
  | 'invalid-field'
  /** The referenced image file does not exist under the dataset root. */
  | 'missing-image'
  /** The image path is absolute or escapes the dataset root with `..`. */
  | 'unsafe-image-path'
  /** A line of a line-oriented file (JSON Lines, CSV, `|`- or tab-separated text) cannot be parsed. */
  | 'malformed-record';

/** Where a record sits: enough to find it in the file. */
export interface RecordLocation {
  /** Absolute path of the file that holds the record. */
  readonly file: string;
  readonly split: string;
  /** 0-based index of the record in its file (array index, or data-row index for line-oriented files). */
  readonly recordIndex: number;
  /** 1-based line, for line-oriented files. */
  readonly line?: number;
  /** The record's own id (`qid`, image name, ...) when it has one. */
  readonly recordId?: string;
}

/** One record of a dataset file is unusable. Thrown with `onError: 'throw'` (the default). */
export class InvalidRecordError extends UmdError {
  readonly file: string;
  readonly split: string;
  readonly recordIndex: number;
  readonly line: number | undefined;
  readonly recordId: string | undefined;

  constructor(
    location: RecordLocation,
    readonly problem: RecordProblem,
    /** What is wrong, e.g. `field 'answer' is missing` or `image imgs/xmlab0/source.jpg does not exist`. */
    readonly detail: string,
    /** The field at fault, when one is. */
    readonly field?: string,
    options: { cause?: unknown } = {},
  ) {
    super({
      name: 'UMD_InvalidRecordError',
      message: `${describeLocation(location)}: ${detail}. ${hintFor(problem)}`,
      cause: options.cause,
    });
    this.file = location.file;
    this.split = location.split;
    this.recordIndex = location.recordIndex;
    this.line = location.line;
    this.recordId = location.recordId;
  }
}

/** `file, line 3, record 2 (id "17")`: how messages and reports name a record. */
export function describeLocation(location: RecordLocation): string {
  const line = location.line === undefined ? '' : `:${location.line}`;
  const id = location.recordId === undefined ? '' : ` (id ${JSON.stringify(location.recordId)})`;
  return `${location.file}${line}, record ${location.recordIndex}${id}`;
}

function hintFor(problem: RecordProblem): string {
  const skip = "Or load with onError: 'skip' (umd-data: --on-error skip) to skip such records and list them in the result.";
  switch (problem) {
    case 'missing-image':
      return `Restore the image from the official download. ${skip}`;
    case 'unsafe-image-path':
      return `Image paths must be relative to the dataset root and stay inside it. ${skip}`;
    case 'missing-field':
    case 'invalid-field':
      return `Fix the record. ${skip}`;
    case 'malformed-record':
      return `Fix the line. ${skip}`;
  }
}
