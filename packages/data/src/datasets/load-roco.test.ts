import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { DatasetNotFoundError } from '../errors/dataset-not-found-error.js';
import { fakeImage, rejection, writeDataset } from './__fixtures__/temp-dataset.js';
import { loadRoco } from './load-roco.js';

describe('loadRoco', () => {
  it('reads <split>/radiology/captions.txt with images/<ID>.jpg', async () => {
    const root = await writeDataset({
      'train/radiology/captions.txt': 'ROCO_00002\t Computed tomography scan  in axial view.\nROCO_00003\t Chest X-ray.\n',
      'train/radiology/images/ROCO_00002.jpg': fakeImage,
      'train/radiology/images/ROCO_00003.jpg': fakeImage,
      'validation/radiology/captions.txt': 'ROCO_00020\t Pelvic CT.\n',
      'validation/radiology/images/ROCO_00020.jpg': fakeImage,
    });
    const load = await loadRoco({ root });
    expect(Object.keys(load.splits)).toEqual(['train', 'validation']);
    expect(load.splits['train']?.[0]).toMatchObject({
      task: 'caption',
      id: 'ROCO_00002',
      imageId: 'ROCO_00002',
      caption: 'Computed tomography scan in axial view.',
      image: { kind: 'file', path: path.join(root, 'train/radiology/images/ROCO_00002.jpg') },
    });
  });

  it('skips lines without a tab or an image, and reports them', async () => {
    const root = await writeDataset({
      'test/radiology/captions.txt': 'ROCO_1\tA.\nROCO_2 no tab\nROCO_3\tC.\nROCO_4\t \n',
      'test/radiology/images/ROCO_1.jpg': fakeImage,
    });
    const load = await loadRoco({ root, onError: 'skip' });
    expect(load.splits['test']).toHaveLength(1);
    expect(load.skipped.map((entry) => [entry.line, entry.reason])).toEqual([
      [2, 'malformed-record'],
      [3, 'missing-image'],
      [4, 'missing-field'],
    ]);
  });

  it('names the expected captions files when none is there', async () => {
    const root = await writeDataset({ 'train/radiology/images/x.jpg': fakeImage });
    const error = await rejection(() => loadRoco({ root }));
    expect(error).toBeInstanceOf(DatasetNotFoundError);
    expect((error as Error).message).toContain('train/radiology/captions.txt');
  });
});
