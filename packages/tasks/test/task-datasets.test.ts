/**
 * The finetune script's datasets on the real data in `../shared/data` (or `UMD_DATA_DIR`); each block is skipped when
 * its dataset is absent. Expected counts come from the datasets' documentation (see /work/shared/data/README.md).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { loadTaskDataset } from '../scripts/task-datasets.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dataDir = process.env['UMD_DATA_DIR'] ?? path.resolve(repoRoot, '../shared/data');
const absent = (dir: string): string => `(skipped: ${dir} not found; set UMD_DATA_DIR to the folder holding the datasets)`;
const title = (name: string, dir: string): string => `${name} ${existsSync(dir) ? '' : absent(dir)}`;
const images = (samples: readonly { imageId: string }[]): Set<string> => new Set(samples.map((sample) => sample.imageId));

const vqaRadDir = path.join(dataDir, 'vqa-rad');
describe.skipIf(!existsSync(vqaRadDir))(title('VQA-RAD', vqaRadDir), () => {
  it('carves validation out of the MEVF train split by image, with a fixed seed; answers come from train only', async () => {
    const dataset = await loadTaskDataset('vqa-rad', { root: vqaRadDir });
    expect(dataset.train.length + dataset.validation.length).toBe(3064);
    for (const imageId of images(dataset.validation)) expect(images(dataset.train).has(imageId)).toBe(false);
    expect(images(dataset.validation).size).toBe(Math.round(0.15 * images([...dataset.train, ...dataset.validation]).size));
    expect(dataset.validation.every((sample) => sample.split === 'validate')).toBe(true);
    const trainAnswers = new Set(dataset.train.map((sample) => (sample.task === 'vqa' ? sample.answer : '')));
    expect(dataset.task.kind === 'vqa' && new Set(dataset.task.answers)).toEqual(trainAnswers);
    const again = await loadTaskDataset('vqa-rad', { root: vqaRadDir });
    expect(again.validation.map((sample) => sample.id)).toEqual(dataset.validation.map((sample) => sample.id));
  });
});

const slakeDir = path.join(dataDir, 'slake');
describe.skipIf(!existsSync(slakeDir))(title('SLAKE', slakeDir), () => {
  it('uses the English train and validate splits, skipping unusable records', async () => {
    const dataset = await loadTaskDataset('slake', { root: slakeDir });
    expect(dataset.train).toHaveLength(4919 - 1); // one English training record has an empty answer
    expect(dataset.validation).toHaveLength(1053 - 10); // 10 validation questions refer to the absent xmlab0
    expect(dataset.task.kind).toBe('vqa');
  });
});

const medpixDir = path.join(dataDir, 'medpix-2.0');
describe.skipIf(!existsSync(medpixDir))(title('MedPix 2.0', medpixDir), () => {
  it('gives location-category classification and caption retrieval on train / dev', async () => {
    const classification = await loadTaskDataset('medpix-classification', { root: medpixDir });
    expect(classification.task).toEqual({
      kind: 'classification',
      labels: ['Abdomen', 'Head', 'Reproductive and Urinary System', 'Spine and Muscles', 'Thorax'],
    });
    expect([classification.train.length, classification.validation.length]).toEqual([1653, 197]);
    const retrieval = await loadTaskDataset('medpix-retrieval', { root: medpixDir });
    expect(retrieval.task).toEqual({ kind: 'retrieval' });
    expect(retrieval.validation.every((sample) => sample.task === 'caption')).toBe(true);
    expect(images(retrieval.validation).size).toBe(197);
  });
});
