/**
 * Checks the adapters against the real datasets in `../shared/data` (or `UMD_DATA_DIR`). Each block is skipped when
 * its dataset is absent (CI may not have the data); the synthetic tests beside the adapters always run. The expected
 * numbers come from the datasets' own documentation and from counting the raw files here, independently of the code
 * under test.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

import { runUmdData } from '../src/cli/umd-data-program.js';
import { loadMedpixCaptions, loadMedpixClassification } from '../src/datasets/load-medpix.js';
import { loadSlake } from '../src/datasets/load-slake.js';
import { loadVqaMed2019 } from '../src/datasets/load-vqa-med-2019.js';
import { carveValidation } from '../src/datasets/carve-validation.js';
import { loadVqaRad } from '../src/datasets/load-vqa-rad.js';
import { InvalidRecordError } from '../src/errors/invalid-record-error.js';
import { normalizeAnswer } from '../src/sample.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dataDir = process.env['UMD_DATA_DIR'] ?? path.resolve(repoRoot, '../shared/data');
const vqaRadDir = path.join(dataDir, 'vqa-rad');
const slakeDir = path.join(dataDir, 'slake');
const medpixDir = path.join(dataDir, 'medpix-2.0');
const vqaMedDir = path.join(dataDir, 'vqa-med-2019');
const absent = (dir: string): string => `(skipped: ${dir} not found; set UMD_DATA_DIR to the folder holding the datasets)`;

type RawRecord = Record<string, unknown>;
async function raw(file: string): Promise<RawRecord[]> {
  return JSON.parse(await readFile(file, 'utf8')) as RawRecord[];
}

async function inspect(...argv: string[]): Promise<Record<string, unknown> & { splits: Record<string, Record<string, unknown>> }> {
  let stdout = '';
  let stderr = '';
  const code = await runUmdData(['inspect', ...argv], { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(stdout);
}

describe.skipIf(!existsSync(vqaRadDir))(`VQA-RAD ${existsSync(vqaRadDir) ? '' : absent(vqaRadDir)}`, () => {
  it('loads the MEVF split: 3064 / 451 questions, counts matching the raw files', async () => {
    const load = await loadVqaRad({ root: vqaRadDir });
    expect(load.skipped).toEqual([]);
    for (const [split, file] of [
      ['train', 'trainset.json'],
      ['test', 'testset.json'],
    ] as const) {
      const records = await raw(path.join(vqaRadDir, file));
      const samples = load.splits[split] ?? [];
      expect(samples).toHaveLength(split === 'train' ? 3064 : 451);
      // Independent count: answer_type as written, trimmed and upper-cased ("CLOSED " has a trailing space).
      const closed = records.filter((record) => String(record['answer_type']).trim().toUpperCase() === 'CLOSED').length;
      expect(samples.filter((sample) => sample.answerType === 'closed')).toHaveLength(closed);
      expect(samples.filter((sample) => sample.answerType === 'open')).toHaveLength(records.length - closed);
      // Numeric answers become strings; every answer is trimmed and lower-case.
      records.forEach((record, index) => {
        const sample = samples[index];
        expect(sample?.source).toEqual(record);
        if (typeof record['answer'] === 'number') expect(sample?.answer).toBe(String(record['answer']));
      });
      for (const sample of samples) expect(sample.answer).toBe(sample.answer.trim().toLowerCase());
    }
    const train = await raw(path.join(vqaRadDir, 'trainset.json'));
    expect(train.filter((record) => typeof record['answer'] === 'number')).toHaveLength(10);
    expect(train.filter((record) => record['answer_type'] === 'CLOSED ')).toHaveLength(2);
    // 315 images on disk; synpic35356.jpg is referenced by no question.
    const used = new Set([...(load.splits['train'] ?? []), ...(load.splits['test'] ?? [])].map((sample) => sample.imageId));
    expect(used.size).toBe(314);
    expect(used.has('synpic35356')).toBe(false);
  });

  it('a question carve keeps the repeated image-question pairs of MEVF train on one side; a sample carve does not', async () => {
    const load = await loadVqaRad({ root: vqaRadDir });
    const train = load.splits['train'] ?? [];
    const pair = (sample: (typeof train)[number]): string =>
      `${sample.imageId}|${sample.question
        .toLowerCase()
        .replace(/\s+/g, ' ')
        .trim()
        .replace(/[\s?.!]+$/, '')}`;
    const seenShare = (by: 'sample' | 'question'): number => {
      const carved = carveValidation(train, { fraction: 0.15, seed: 1, by });
      const trained = new Set(carved.train.map(pair));
      return carved.validation.filter((sample) => trained.has(pair(sample))).length / carved.validation.length;
    };
    const test = load.splits['test'] ?? [];
    const all = new Set(train.map(pair));
    const testShare = test.filter((sample) => all.has(pair(sample))).length / test.length;
    expect(seenShare('sample')).toBeGreaterThan(0.2); // a quarter of a sample carve's questions were trained on, image and all
    expect(seenShare('question')).toBe(0);
    expect(testShare).toBeLessThan(0.05); // MEVF test: a few
  });

  it('loads the official split by phrase_type: 1797 / 451', async () => {
    const load = await loadVqaRad({ root: vqaRadDir, scheme: 'official' });
    expect(load.splits['train']).toHaveLength(1797);
    expect(load.splits['test']).toHaveLength(451);
    expect(load.skipped).toEqual([]);
  });

  it('umd-data inspect reports 3064 / 451', async () => {
    const report = await inspect('--dataset', 'vqa-rad', '--root', vqaRadDir);
    expect(report.splits['train']).toMatchObject({ records: 3064, samples: 3064, missingImages: 0 });
    expect(report.splits['test']).toMatchObject({ records: 451, samples: 451, answerTypes: { open: 179, closed: 272 } });
  });
});

describe.skipIf(!existsSync(slakeDir))(`SLAKE ${existsSync(slakeDir) ? '' : absent(slakeDir)}`, () => {
  const temporary: string[] = [];
  afterAll(() => Promise.all(temporary.map((dir) => rm(dir, { recursive: true, force: true }))));

  it('loads English train 4919 / validate 1053 in skip mode, reporting the 10 questions on the missing xmlab0', async () => {
    const load = await loadSlake({ root: slakeDir, onError: 'skip' });
    const missing = load.skipped.filter((entry) => entry.reason === 'missing-image');
    expect(missing).toHaveLength(10);
    for (const entry of missing) {
      expect(entry).toMatchObject({ split: 'validate', file: 'validate.json', field: 'img_name' });
      expect(entry.message).toContain('imgs/xmlab0/source.jpg does not exist');
    }
    // A real quirk of the official train.json: qid 1622 ("Does the picture contain liver?") has an empty answer.
    const other = load.skipped.filter((entry) => entry.reason !== 'missing-image');
    expect(other).toEqual([expect.objectContaining({ split: 'train', recordId: '1622', reason: 'missing-field', field: 'answer' })]);
    expect((load.splits['train']?.length ?? 0) + 1).toBe(4919);
    expect((load.splits['validate']?.length ?? 0) + 10).toBe(1053);
    const rawTrain = await raw(path.join(slakeDir, 'train.json'));
    expect(load.filtered).toContainEqual({ split: 'train', count: rawTrain.length - 4919, reason: "q_lang is not 'en'" });
    const englishClosed = rawTrain.filter((record) => record['q_lang'] === 'en' && record['answer_type'] === 'CLOSED').length;
    expect(load.splits['train']?.filter((sample) => sample.answerType === 'closed')).toHaveLength(englishClosed);
  });

  it('throws in throw mode on a question whose image is missing', async () => {
    // Only validate.json (linked, not copied) so that train's empty answer does not stop the load first.
    const root = await mkdtemp(path.join(os.tmpdir(), 'umd-slake-'));
    temporary.push(root);
    await symlink(path.join(slakeDir, 'validate.json'), path.join(root, 'validate.json'));
    await symlink(path.join(slakeDir, 'imgs'), path.join(root, 'imgs'));
    const error = await loadSlake({ root }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidRecordError);
    expect(error).toMatchObject({ problem: 'missing-image', file: path.join(root, 'validate.json'), recordId: '9835' });
    await expect(loadSlake({ root: slakeDir })).rejects.toThrow(/train\.json, record 1622 \(id "1622"\): field 'answer' is empty/);
  });

  it('umd-data inspect reports train 4919 / validate 1053 with 10 missing images', async () => {
    const report = await inspect('--dataset', 'slake', '--root', slakeDir);
    expect(report.splits['train']).toMatchObject({ records: 4919, missingImages: 0 });
    expect(report.splits['validate']).toMatchObject({ records: 1053, samples: 1043, missingImages: 10 });
  });
});

describe.skipIf(!existsSync(medpixDir))(`MedPix 2.0 ${existsSync(medpixDir) ? '' : absent(medpixDir)}`, () => {
  it('loads the case-level splits 1653 / 197 / 200, resolving the re-encoded .jpg images', async () => {
    const load = await loadMedpixCaptions({ root: medpixDir });
    expect(Object.fromEntries(Object.entries(load.splits).map(([split, samples]) => [split, samples.length]))).toEqual({
      train: 1653,
      dev: 197,
      test: 200,
    });
    const all = Object.values(load.splits).flat();
    expect(all.every((sample) => sample.image.kind === 'file' && sample.image.path.endsWith('.jpg'))).toBe(true);
    expect(all.filter((sample) => [...sample.caption].some((char) => char.charCodeAt(0) > 0x7f))).toHaveLength(39);
  });

  it('classifies by Location Category: 5 classes with the documented counts over the whole set', async () => {
    const load = await loadMedpixClassification({ root: medpixDir, scheme: 'all' });
    const counts: Record<string, number> = {};
    for (const sample of load.splits['all'] ?? []) counts[sample.label] = (counts[sample.label] ?? 0) + 1;
    expect(counts).toEqual({
      Head: 884,
      'Spine and Muscles': 355,
      Thorax: 334,
      Abdomen: 319,
      'Reproductive and Urinary System': 158,
    });
  });

  it('classifies by Type and Plane; the one record without a Plane is reported', async () => {
    const byType = await loadMedpixClassification({ root: medpixDir, scheme: 'all', labelField: 'Type' });
    expect(new Set(byType.splits['all']?.map((sample) => sample.label))).toEqual(new Set(['CT', 'MR']));
    const byPlane = await loadMedpixClassification({ root: medpixDir, labelField: 'Plane', onError: 'skip' });
    expect(byPlane.skipped).toEqual([
      expect.objectContaining({ split: 'train', recordId: 'MPX2272_synpic148', reason: 'missing-field', field: 'Description.Plane' }),
    ]);
  });

  it('umd-data inspect reports 1653 / 197 / 200 with label counts', async () => {
    const report = await inspect('--dataset', 'medpix', '--root', medpixDir);
    expect(report.splits['train']).toMatchObject({ records: 1653, samples: 1653, labels: { Head: 742 } });
    expect(report.splits['dev']).toMatchObject({ samples: 197 });
    expect(report.splits['test']).toMatchObject({ samples: 200 });
  });
});

describe.skipIf(!existsSync(vqaMedDir))(`VQA-Med 2019 sample ${existsSync(vqaMedDir) ? '' : absent(vqaMedDir)}`, () => {
  it('reads the 3-field train/validation files and the 4-field test file', async () => {
    const load = await loadVqaMed2019({ root: vqaMedDir });
    expect(Object.fromEntries(Object.entries(load.splits).map(([split, samples]) => [split, samples.length]))).toEqual({
      train: 6,
      validation: 6,
      test: 6,
    });
    const text = await readFile(path.join(vqaMedDir, 'VQAMed2019Test/VQAMed2019_Test_Questions_w_Ref_Answers.txt'), 'utf8');
    const answers = text
      .split(/\r?\n/)
      .filter(Boolean)
      .map((line) => normalizeAnswer(line.split('|')[3]));
    expect(load.splits['test']?.map((sample) => sample.answer)).toEqual(answers);
    expect(load.splits['test']?.every((sample) => typeof (sample.source as { category?: string }).category === 'string')).toBe(true);
  });
});
