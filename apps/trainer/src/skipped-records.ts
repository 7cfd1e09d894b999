import type { SkippedRecord } from '@umd/data';

import { DataSkipError } from './errors/data-skip-error.js';

/** How many records each split held before skipping: the denominator of the skip fraction. */
export type RecordCounts = Readonly<Record<string, number>>;

/**
 * One line per split and reason, naming the file and the first records: `validate: 10 of 1053 records skipped —
 * missing-image 10 (validate.json records 3, 17, 40, … ; the first: …)`. Empty when nothing was skipped.
 */
export function describeSkippedRecords(skipped: readonly SkippedRecord[], records: RecordCounts, shown = 5): string[] {
  const lines: string[] = [];
  for (const split of [...new Set(skipped.map((record) => record.split))]) {
    const inSplit = skipped.filter((record) => record.split === split);
    const reasons = [...new Set(inSplit.map((record) => record.reason))].map((reason) => {
      const ofReason = inSplit.filter((record) => record.reason === reason);
      const where = ofReason
        .slice(0, shown)
        .map(
          (record) =>
            `${record.file} ${record.line !== undefined ? `line ${record.line}` : `record ${record.recordIndex}`}${record.recordId ? ` (id ${record.recordId})` : ''}`,
        );
      const more = ofReason.length > shown ? `, … ${ofReason.length - shown} more` : '';
      return `${reason} ${ofReason.length}: ${where.join(', ')}${more}; e.g. ${ofReason[0]!.message}`;
    });
    lines.push(`skipped in ${split}: ${inSplit.length} of ${records[split] ?? '?'} records — ${reasons.join(' | ')}`);
  }
  return lines;
}

/**
 * Stops when a split lost more than `maxFraction` of its records: numbers on what is left would not describe the
 * dataset.
 *
 * @throws DataSkipError naming the split, the count and the limit (`data.maxSkippedFraction`)
 */
export function checkSkippedFraction(dataset: string, skipped: readonly SkippedRecord[], records: RecordCounts, maxFraction: number): void {
  for (const [split, total] of Object.entries(records)) {
    const count = skipped.filter((record) => record.split === split).length;
    if (total > 0 && count / total > maxFraction)
      throw new DataSkipError(
        dataset,
        split,
        count,
        total,
        maxFraction,
        describeSkippedRecords(
          skipped.filter((record) => record.split === split),
          records,
        ),
      );
  }
}
