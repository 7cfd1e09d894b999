import { describe, expect, it } from 'vitest';

import { DatasetParseError } from '../errors/dataset-parse-error.js';
import { InvalidRecordError } from '../errors/invalid-record-error.js';
import { fakeImage, rejection, writeDataset } from './__fixtures__/temp-dataset.js';
import { loadMelinda } from './load-melinda.js';

const header = 'figure_file,caption,i_meth,p_meth,i_meth_label,p_meth_label';

describe('loadMelinda', () => {
  it('reads CSV rows with quoted captions, the i_meth_label column by default', async () => {
    const root = await writeDataset({
      'train.csv': `${header}\nPMC1_fig1.jpg,"Western blot, lanes 1-3",anti bait coip,in vivo,Co-IP,Biochemical\nPMC2_fig2.jpg,Confocal image,fluorescence microscopy,in vivo,Microscopy,Imaging\n`,
      'melinda_images/PMC1_fig1.jpg': fakeImage,
      'melinda_images/PMC2_fig2.jpg': fakeImage,
    });
    const load = await loadMelinda({ root });
    expect(load.splits['train']?.map((sample) => [sample.id, sample.text, sample.label])).toEqual([
      ['train:0', 'Western blot, lanes 1-3', 'Co-IP'],
      ['train:1', 'Confocal image', 'Microscopy'],
    ]);
    expect((await loadMelinda({ root, labelField: 'p_meth' })).splits['train']?.[0]?.label).toBe('in vivo');
  });

  it('reports a short row as malformed, naming the line', async () => {
    const root = await writeDataset({ 'dev.csv': `${header}\nPMC1_fig1.jpg,only caption\n`, 'melinda_images/PMC1_fig1.jpg': fakeImage });
    const error = await rejection(() => loadMelinda({ root }));
    expect(error).toBeInstanceOf(InvalidRecordError);
    expect(error).toMatchObject({ problem: 'malformed-record', line: 2, split: 'dev' });
  });

  it('rejects a header without the label column', async () => {
    const root = await writeDataset({ 'test.csv': 'figure_file,caption\na.jpg,x\n', 'melinda_images/a.jpg': fakeImage });
    const error = await rejection(() => loadMelinda({ root }));
    expect(error).toBeInstanceOf(DatasetParseError);
    expect((error as Error).message).toContain("lacks column 'i_meth_label'");
  });
});
