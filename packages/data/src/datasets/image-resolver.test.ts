import path from 'node:path';
import { describe, expect, it } from 'vitest';

import { InvalidRecordError, type RecordLocation } from '../errors/invalid-record-error.js';
import { fakeImage, rejection, writeDataset } from './__fixtures__/temp-dataset.js';
import { ImageResolver } from './image-resolver.js';

const location: RecordLocation = { file: '/data/train.json', split: 'train', recordIndex: 4, recordId: 'q4' };

describe('ImageResolver', () => {
  it('resolves a path below the image folder to an absolute file and a stable image id', async () => {
    const root = await writeDataset({ 'imgs/xmlab1/source.jpg': fakeImage });
    const resolved = await new ImageResolver(root, 'imgs').resolve('xmlab1/source.jpg', location, 'img_name');
    expect(resolved).toEqual({ image: { kind: 'file', path: path.join(root, 'imgs/xmlab1/source.jpg') }, imageId: 'xmlab1/source' });
  });

  it.each(['/etc/passwd', 'C:\\images\\a.jpg', '../../outside.jpg', 'a/../../../outside.jpg', 'bad\0name.jpg'])(
    'rejects the unsafe path %j',
    async (unsafe) => {
      const root = await writeDataset({ 'images/a.jpg': fakeImage });
      const error = await rejection(() => new ImageResolver(root, 'images').resolve(unsafe, location, 'image_name'));
      expect(error).toBeInstanceOf(InvalidRecordError);
      expect(error).toMatchObject({ problem: 'unsafe-image-path', field: 'image_name', recordIndex: 4, recordId: 'q4' });
    },
  );

  it('allows .. that stays inside the dataset root', async () => {
    const root = await writeDataset({ 'other/b.jpg': fakeImage });
    const resolved = await new ImageResolver(root, 'images').resolve('../other/b.jpg', location, 'image');
    expect(resolved.image).toEqual({ kind: 'file', path: path.join(root, 'other/b.jpg') });
  });

  it('reports a missing image with the record location', async () => {
    const root = await writeDataset({ 'images/a.jpg': fakeImage });
    const error = await rejection(() => new ImageResolver(root, 'images').resolve('b.jpg', location, 'image_name'));
    expect(error).toMatchObject({ problem: 'missing-image', file: '/data/train.json', recordIndex: 4 });
    expect((error as Error).message).toMatch(/\/data\/train\.json, record 4 \(id "q4"\): image images\/b\.jpg does not exist/);
  });

  it('does not accept a folder as an image', async () => {
    const root = await writeDataset({ 'images/a.jpg/inner.txt': 'x' });
    const error = await rejection(() => new ImageResolver(root, 'images').resolve('a.jpg', location, 'image'));
    expect(error).toMatchObject({ problem: 'missing-image' });
  });

  it('appends extensions to stems and swaps a written extension for an existing one', async () => {
    const root = await writeDataset({ 'images/MPX1_synpic1.jpg': fakeImage, 'images/MPX2_synpic2.png': fakeImage });
    const resolver = new ImageResolver(root, 'images', ['.png', '.jpg']);
    expect((await resolver.resolve('MPX1_synpic1', location, 'image')).image).toEqual({
      kind: 'file',
      path: path.join(root, 'images/MPX1_synpic1.jpg'),
    });
    expect((await resolver.resolve('MPX2_synpic2', location, 'image')).imageId).toBe('MPX2_synpic2');
    expect((await resolver.resolve('MPX1_synpic1.png', location, 'image')).imageId).toBe('MPX1_synpic1');
    const error = await rejection(() => resolver.resolve('MPX3_synpic3', location, 'image'));
    expect((error as Error).message).toContain('images/MPX3_synpic3 (tried .png, .jpg) does not exist');
  });
});
