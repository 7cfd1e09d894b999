import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { SkippedRecord } from '@umd/data';
import { describe, expect, it } from 'vitest';

import { parsePipelineConfig } from './config/load-pipeline-config.js';
import { loadTaskData } from './datasets.js';
import { DataSkipError } from './errors/data-skip-error.js';
import { checkSkippedFraction, describeSkippedRecords } from './skipped-records.js';

const record = (split: string, index: number, reason: SkippedRecord['reason']): SkippedRecord => ({
  split,
  file: `${split}.json`,
  recordIndex: index,
  recordId: String(100 + index),
  reason,
  message: `record ${index}: ${reason}`,
});

describe('skipped records', () => {
  const skipped = [record('validate', 3, 'missing-image'), record('validate', 9, 'missing-image'), record('train', 1, 'missing-field')];

  it('names each split, reason, file and record, with the share of the split', () => {
    expect(describeSkippedRecords(skipped, { train: 100, validate: 20 }, 1)).toEqual([
      'skipped in validate: 2 of 20 records — missing-image 2: validate.json record 3 (id 103), … 1 more; e.g. record 3: missing-image',
      'skipped in train: 1 of 100 records — missing-field 1: train.json record 1 (id 101); e.g. record 1: missing-field',
    ]);
    expect(describeSkippedRecords([], { train: 100 })).toEqual([]);
  });

  it('stops when a split loses more than the allowed share, naming it', () => {
    expect(() => checkSkippedFraction('slake', skipped, { train: 100, validate: 20 }, 0.2)).not.toThrow();
    expect(() => checkSkippedFraction('slake', skipped, { train: 100, validate: 20 }, 0.05)).toThrow(DataSkipError);
    expect(() => checkSkippedFraction('slake', skipped, { train: 100, validate: 20 }, 0.05)).toThrow(
      /slake: 2 of 20 validate records \(10\.0%\) could not be used, more than data\.maxSkippedFraction = 0\.05/,
    );
  });
});

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dataDir = process.env['UMD_DATA_DIR'] ?? path.resolve(repoRoot, '../shared/data');

describe.skipIf(!existsSync(path.join(dataDir, 'slake')))(`skipped records of the real SLAKE copy (${dataDir}/slake)`, () => {
  it('lists the validation questions whose image is missing, so every number says what it is computed on', async () => {
    const data = await loadTaskData(parsePipelineConfig({ name: 'x', data: { dataset: 'slake', root: 'slake' } }), dataDir);
    const lines = data.notes.filter((line) => line.startsWith('skipped in '));
    expect(lines.some((line) => /^skipped in validate: \d+ of 1053 records — missing-image \d+: validate\.json record \d+/.test(line))).toBe(true);
    expect(data.validation.length + data.skipped.filter((entry) => entry.split === 'validate').length).toBe(1053);
  });
});
