import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { writeReportFiles } from './write-report-files.js';

describe('writeReportFiles', () => {
  let dir = '';
  afterEach(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('writes files into sub-folders it creates and leaves no temporary file', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'umd-eval-'));
    const written = await writeReportFiles(path.join(dir, 'out'), { 'results.md': '| a |\n', 'plots/loss.svg': '<svg/>' });
    expect(written).toEqual([path.join(dir, 'out', 'results.md'), path.join(dir, 'out', 'plots', 'loss.svg')]);
    expect(await readFile(path.join(dir, 'out', 'plots', 'loss.svg'), 'utf8')).toBe('<svg/>');
    expect((await readdir(path.join(dir, 'out'))).sort()).toEqual(['plots', 'results.md']);
  });

  it('refuses paths that leave the folder, before writing anything', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'umd-eval-'));
    await expect(writeReportFiles(dir, { 'ok.md': 'x', '../escape.md': 'x' })).rejects.toThrow(/files\["\.\.\/escape\.md"\]/);
    await expect(writeReportFiles(dir, { '/abs.md': 'x' })).rejects.toThrow(/relative path/);
    expect(await readdir(dir)).toEqual([]);
  });
});
