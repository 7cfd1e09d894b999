import path from 'node:path';

import { DatasetParseError } from '../errors/dataset-parse-error.js';
import { InvalidRecordError, type RecordLocation } from '../errors/invalid-record-error.js';
import type { OnError, SkippedRecord } from './dataset-load.js';

/**
 * Applies the `onError` policy record by record: `attempt` runs the conversion of one record and, when it throws an
 * `InvalidRecordError` (or a `DatasetParseError` for one line), either rethrows (`'throw'`) or records a
 * {@link SkippedRecord} and returns `undefined` (`'skip'`). Other errors always propagate.
 */
export class SkipLog {
  readonly skipped: SkippedRecord[] = [];

  constructor(
    private readonly root: string,
    private readonly onError: OnError,
  ) {}

  async attempt<T>(location: RecordLocation, convert: () => T | Promise<T>): Promise<T | undefined> {
    try {
      return await convert();
    } catch (error) {
      if (this.onError === 'throw') throw error;
      if (error instanceof InvalidRecordError) {
        this.skipped.push(
          withoutUndefined({
            split: error.split,
            file: this.relative(error.file),
            recordIndex: error.recordIndex,
            line: error.line,
            recordId: error.recordId,
            reason: error.problem,
            field: error.field,
            message: error.detail,
          }),
        );
        return undefined;
      }
      if (error instanceof DatasetParseError) {
        this.skipped.push(
          withoutUndefined({
            split: location.split,
            file: this.relative(location.file),
            recordIndex: location.recordIndex,
            line: location.line,
            recordId: location.recordId,
            reason: 'malformed-record',
            field: undefined,
            message: `${error.reason} (column ${error.column})`,
          }),
        );
        return undefined;
      }
      throw error;
    }
  }

  /**
   * Converts every record of one file under the policy, keeping file order. `convert` returns the sample, or
   * `undefined` for a record that an option leaves out on purpose (counted by the caller, not skipped).
   */
  async collect<R, S>(
    records: readonly R[],
    locate: (record: R, index: number) => RecordLocation,
    convert: (record: R, location: RecordLocation) => S | undefined | Promise<S | undefined>,
  ): Promise<S[]> {
    const samples: S[] = [];
    for (const [index, record] of records.entries()) {
      const location = locate(record, index);
      const sample = await this.attempt(location, () => convert(record, location));
      if (sample !== undefined) samples.push(sample);
    }
    return samples;
  }

  private relative(file: string): string {
    return path.relative(this.root, file).split(path.sep).join('/');
  }
}

function withoutUndefined(record: { [K in keyof SkippedRecord]: SkippedRecord[K] | undefined }): SkippedRecord {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as unknown as SkippedRecord;
}
