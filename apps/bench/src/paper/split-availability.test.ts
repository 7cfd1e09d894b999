import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { splitAvailability } from './split-availability.js';

describe('splitAvailability', () => {
  let data: string;
  beforeAll(async () => {
    data = await mkdtemp(path.join(os.tmpdir(), 'umd-bench-splits-'));
    await mkdir(path.join(data, 'slake'), { recursive: true });
    await writeFile(path.join(data, 'slake', 'validate.json'), '[]');
    await mkdir(path.join(data, 'vqa-rad'), { recursive: true });
    await writeFile(path.join(data, 'vqa-rad', 'testset.json'), '[]');
    await writeFile(path.join(data, 'vqa-rad', 'trainset.json'), '[]');
  });
  afterAll(async () => {
    await rm(data, { recursive: true, force: true });
  });

  it('finds the official split files', () => {
    expect(splitAvailability('slake', 'validate', data)).toEqual({ available: true, file: path.join(data, 'slake', 'validate.json') });
    expect(splitAvailability('vqa-rad', 'test', data)).toEqual({ available: true, file: path.join(data, 'vqa-rad', 'testset.json') });
  });

  it('reports an absent split file with its path instead of inventing the split', () => {
    expect(splitAvailability('slake', 'test', data)).toEqual({ available: false, reason: `n/a (no test split at ${path.join(data, 'slake', 'test.json')})` });
    expect(splitAvailability('medpix-classification', 'validate', data)).toMatchObject({
      available: false,
      reason: expect.stringContaining('descriptions_dev.jsonl'),
    });
  });

  it('reads VQA-RAD validation from MEVF train, where it is carved, and says so', () => {
    const result = splitAvailability('vqa-rad', 'validate', data);
    expect(result).toEqual({ available: true, file: path.join(data, 'vqa-rad', 'trainset.json'), note: expect.stringMatching(/carved from MEVF train/) });
  });

  it('has every split on phantom data', () => {
    expect(splitAvailability('slake', 'test', undefined).available).toBe(true);
  });

  const shared = path.resolve(import.meta.dirname, '../../../../../shared/data');
  it.skipIf(!existsSync(shared))('on the shared copy: SLAKE has no official test split, MedPix has both', () => {
    expect(splitAvailability('slake', 'test', shared).available).toBe(false);
    expect(splitAvailability('slake', 'validate', shared).available).toBe(true);
    expect(splitAvailability('medpix-retrieval', 'test', shared).available).toBe(true);
    expect(splitAvailability('medpix-retrieval', 'validate', shared).available).toBe(true);
  });
});
