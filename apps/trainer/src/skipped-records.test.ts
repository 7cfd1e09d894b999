import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { SkippedRecord } from '@umd/data';
import { describe, expect, it } from 'vitest';

import { parsePipelineConfig } from './config/load-pipeline-config.js';
import { loadPretrainCorpus, loadTaskData } from './datasets.js';
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

/** A MedPix 2.0 folder whose train split has 4 records, one of them pointing at an image that is not there. */
async function medpixWithMissingImage(): Promise<string> {
  const data = await mkdtemp(path.join(tmpdir(), 'umd-corpus-skips-'));
  const root = path.join(data, 'medpix-2.0');
  await mkdir(path.join(root, 'images'), { recursive: true });
  await mkdir(path.join(root, 'splitted_dataset'));
  const lines = ['MPX1_synpic1', 'MPX1_synpic2', 'MPX2_synpic3', 'MPX3_synpic4'].map((image) =>
    JSON.stringify({ U_id: image.split('_')[0], image, Type: 'CT', 'Location Category': 'Head', Description: { Caption: `Caption of ${image}.` } }),
  );
  for (const image of ['MPX1_synpic1', 'MPX1_synpic2', 'MPX3_synpic4']) await writeFile(path.join(root, 'images', `${image}.png`), 'not read here');
  await writeFile(path.join(root, 'splitted_dataset', 'descriptions_train.jsonl'), `${lines.join('\n')}\n`);
  return data;
}

describe('skipped records', () => {
  it('lists the pre-training corpus records skipped by reason, file and record, and stops past the allowed share', async () => {
    const data = await medpixWithMissingImage();
    try {
      const config = (maxSkippedFraction: number) =>
        parsePipelineConfig({ name: 'corpus', data: { dataset: 'vqa-rad', maxSkippedFraction }, pretrain: { corpus: 'medpix', corpusRoot: 'medpix-2.0' } });
      const corpus = await loadPretrainCorpus(config(0.5), data);
      expect(corpus.samples.map((sample) => sample.id)).toEqual(['MPX1_synpic1', 'MPX1_synpic2', 'MPX3_synpic4']);
      expect(corpus.skipped).toHaveLength(1);
      expect(corpus.skipped[0]).toMatch(
        /^skipped in train: 1 of 4 records — missing-image 1: splitted_dataset\/descriptions_train\.jsonl line 3 \(id MPX2_synpic3\)/,
      );
      await expect(loadPretrainCorpus(config(0.05), data)).rejects.toThrow(DataSkipError);
      await expect(loadPretrainCorpus(config(0.05), data)).rejects.toThrow(
        /medpix \(pre-training corpus\): 1 of 4 train records \(25\.0%\) could not be used, more than data\.maxSkippedFraction = 0\.05/,
      );
    } finally {
      await rm(data, { recursive: true, force: true });
    }
  });

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
