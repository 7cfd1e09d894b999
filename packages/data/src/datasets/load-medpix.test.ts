import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { DatasetNotFoundError } from '../errors/dataset-not-found-error.js';
import { DatasetParseError } from '../errors/dataset-parse-error.js';
import { InvalidRecordError } from '../errors/invalid-record-error.js';
import { fakeImage, jsonLines, rejection, writeDataset } from './__fixtures__/temp-dataset.js';
import { loadMedpixCaptions, loadMedpixClassification } from './load-medpix.js';

function description(image: string, overrides: Record<string, unknown> = {}, details: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Type: 'CT',
    U_id: image.split('_')[0],
    image,
    Description: {
      'ACR Codes': '8.-1',
      Age: '73',
      Caption: ` Caption of ${image}. `,
      'Figure Part': null,
      Modality: 'CT - noncontrast',
      Plane: 'Axial',
      Sex: 'male',
      ...details,
    },
    Location: 'Genitourinary',
    'Location Category': 'Reproductive and Urinary System',
    ...overrides,
  };
}

async function medpix(files: Record<string, unknown> = {}): Promise<string> {
  return writeDataset({
    'images/MPX1_synpic1.png': fakeImage,
    'images/MPX1_synpic2.jpg': fakeImage,
    'images/MPX2_synpic3.jpg': fakeImage,
    'Descriptions.json': [description('MPX1_synpic1'), description('MPX1_synpic2'), description('MPX2_synpic3', { Type: 'MR' })],
    'splitted_dataset/descriptions_train.jsonl': jsonLines([description('MPX1_synpic1'), description('MPX1_synpic2')]),
    'splitted_dataset/descriptions_dev.jsonl': jsonLines([description('MPX2_synpic3', { 'Location Category': 'Head', Type: 'MR' }, { Plane: 'Sagittal' })]),
    ...files,
  });
}

describe('loadMedpixCaptions', () => {
  it('pairs each image with its caption, resolving .png (official) and .jpg (re-encoded copies)', async () => {
    const root = await medpix();
    const load = await loadMedpixCaptions({ root });
    expect(load.task).toBe('caption');
    expect(Object.keys(load.splits)).toEqual(['train', 'dev']);
    expect(load.splits['train']?.map((sample) => [sample.id, sample.image, sample.caption])).toEqual([
      ['MPX1_synpic1', { kind: 'file', path: path.join(root, 'images/MPX1_synpic1.png') }, 'Caption of MPX1_synpic1.'],
      ['MPX1_synpic2', { kind: 'file', path: path.join(root, 'images/MPX1_synpic2.jpg') }, 'Caption of MPX1_synpic2.'],
    ]);
  });

  it('carries the record’s Type, Modality, Plane, Location and Location Category as attributes, leaving out empty ones', async () => {
    const root = await medpix({
      'splitted_dataset/descriptions_dev.jsonl': jsonLines([description('MPX2_synpic3', { Type: ' MR ', Location: '' }, { Plane: null })]),
    });
    const load = await loadMedpixCaptions({ root });
    expect(load.splits['train']?.[0]?.attributes).toEqual({
      Type: 'CT',
      Modality: 'CT - noncontrast',
      Plane: 'Axial',
      Location: 'Genitourinary',
      'Location Category': 'Reproductive and Urinary System',
    });
    expect(load.splits['dev']?.[0]?.attributes).toEqual({ Type: 'MR', Modality: 'CT - noncontrast', 'Location Category': 'Reproductive and Urinary System' });
    expect((await loadMedpixClassification({ root })).splits['train']?.[0]?.attributes).toMatchObject({ Type: 'CT', Plane: 'Axial' });
  });

  it("loads Descriptions.json as one split with scheme 'all'", async () => {
    const load = await loadMedpixCaptions({ root: await medpix(), scheme: 'all' });
    expect(Object.keys(load.splits)).toEqual(['all']);
    expect(load.splits['all']).toHaveLength(3);
  });

  it("says to use scheme 'all' when the split files are missing", async () => {
    const root = await writeDataset({ 'images/a.png': fakeImage, 'Descriptions.json': [description('a')] });
    const error = await rejection(() => loadMedpixCaptions({ root }));
    expect(error).toBeInstanceOf(DatasetNotFoundError);
    expect((error as Error).message).toContain("scheme 'all'");
  });

  it('reports a malformed JSONL line with line and column, or skips it', async () => {
    const root = await medpix({ 'splitted_dataset/descriptions_train.jsonl': `${JSON.stringify(description('MPX1_synpic1'))}\n{"image": "MPX1_synpic2",\n` });
    const error = await rejection(() => loadMedpixCaptions({ root }));
    expect(error).toBeInstanceOf(DatasetParseError);
    expect(error).toMatchObject({ file: path.join(root, 'splitted_dataset/descriptions_train.jsonl'), line: 2, column: 26 });
    const load = await loadMedpixCaptions({ root, onError: 'skip' });
    expect(load.splits['train']).toHaveLength(1);
    expect(load.skipped).toEqual([
      expect.objectContaining({ file: 'splitted_dataset/descriptions_train.jsonl', line: 2, recordIndex: 1, reason: 'malformed-record' }),
    ]);
  });
});

describe('loadMedpixClassification', () => {
  it('uses Location Category by default, and Type or Plane on request', async () => {
    const root = await medpix();
    const byLocation = await loadMedpixClassification({ root });
    expect(byLocation.splits['dev']?.[0]).toMatchObject({ task: 'classification', label: 'Head', text: 'Caption of MPX2_synpic3.' });
    expect((await loadMedpixClassification({ root, labelField: 'Type' })).splits['dev']?.[0]?.label).toBe('MR');
    expect((await loadMedpixClassification({ root, labelField: 'Plane' })).splits['dev']?.[0]?.label).toBe('Sagittal');
  });

  it('treats a null label as a missing field, naming the nested field', async () => {
    const root = await medpix({ 'splitted_dataset/descriptions_dev.jsonl': jsonLines([description('MPX2_synpic3', {}, { Plane: null })]) });
    const error = await rejection(() => loadMedpixClassification({ root, labelField: 'Plane' }));
    expect(error).toBeInstanceOf(InvalidRecordError);
    expect(error).toMatchObject({ problem: 'missing-field', field: 'Description.Plane', recordId: 'MPX2_synpic3', line: 1 });
  });
});
