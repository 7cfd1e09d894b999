import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

import { fakeImage, writeDataset } from '../src/datasets/__fixtures__/temp-dataset.js';
import { runUmdData } from '../src/cli/umd-data-program.js';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runUmdData(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
  return { code, stdout, stderr };
}

function question(qid: number, image = 'synpic1.jpg', answer: unknown = 'yes'): Record<string, unknown> {
  return { qid, image_name: image, question: 'Is it normal?', answer, answer_type: 'CLOSED', phrase_type: 'freeform' };
}

async function vqaRad(): Promise<string> {
  return writeDataset({
    'trainset.json': [question(1), question(2, 'synpic1.jpg', 'no')],
    'testset.json': [question(3, 'synpic1.jpg', 'maybe'), question(4, 'synpic404.jpg')],
    'images/synpic1.jpg': fakeImage,
  });
}

describe('umd-data', () => {
  it('prints help for the program and for inspect, exit 0', async () => {
    const program = await run('--help');
    expect(program.code).toBe(0);
    expect(program.stdout).toContain('inspect');
    const inspect = await run('inspect', '--help');
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toContain('--dataset <name>');
    expect(inspect.stdout).toContain('vqa-rad');
    expect(inspect.stdout).toContain('Exit codes');
  });

  it('inspects a dataset and prints one JSON object on stdout (bad records skipped and listed by default)', async () => {
    const root = await vqaRad();
    const { code, stdout, stderr } = await run('inspect', '--dataset', 'vqa-rad', '--root', root);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const report = JSON.parse(stdout);
    expect(report.splits.train).toMatchObject({ records: 2, samples: 2, distinctImages: 1, answerTypes: { open: 0, closed: 2 } });
    expect(report.splits.test).toMatchObject({
      records: 2,
      samples: 1,
      missingImages: 1,
      skipped: { count: 1, byReason: { 'missing-image': 1 } },
      answerCoverage: { questions: 1, outside: 1, outsideAnswers: [{ answer: 'maybe', count: 1 }] },
    });
    expect(report.skipped).toEqual([expect.objectContaining({ split: 'test', file: 'testset.json', recordId: '4', reason: 'missing-image' })]);
  });

  it('exits 1 with the typed error on stderr under --on-error throw', async () => {
    const { code, stdout, stderr } = await run('inspect', '--dataset', 'vqa-rad', '--root', await vqaRad(), '--on-error', 'throw');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^umd-data: UMD_InvalidRecordError: .*testset\.json, record 1 \(id "4"\): image images\/synpic404\.jpg does not exist/);
  });

  it('exits 1 naming the folder when the root does not exist', async () => {
    const { code, stderr } = await run('inspect', '--dataset', 'slake', '--root', '/nonexistent/slake');
    expect(code).toBe(1);
    expect(stderr).toContain('UMD_DatasetNotFoundError: slake: /nonexistent/slake does not exist');
  });

  it('exits 1 for an option that does not apply to the dataset', async () => {
    const { code, stderr } = await run('inspect', '--dataset', 'vqa-rad', '--root', await vqaRad(), '--language', 'en');
    expect(code).toBe(1);
    expect(stderr).toContain("Invalid value for '--language'");
    expect(stderr).toContain('only with --dataset slake');
  });

  it('inspects the generated phantom dataset without a folder', async () => {
    const { code, stdout } = await run('inspect', '--dataset', 'phantom', '--task', 'classification', '--counts', '6,2,2', '--seed', '3');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ dataset: 'phantom', task: 'classification' });
    expect(report.root).toBeUndefined();
    expect(report.splits.train).toMatchObject({ records: 6, samples: 6, distinctImages: 6 });
    expect(Object.values(report.splits.train.labels as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(6);
    const withRoot = await run('inspect', '--dataset', 'phantom', '--root', '/tmp');
    expect(withRoot.code).toBe(1);
    expect(withRoot.stderr).toContain('drop --root');
    const badCounts = await run('inspect', '--dataset', 'phantom', '--counts', '6,2');
    expect(badCounts.code).toBe(1);
    expect(badCounts.stderr).toContain("Invalid value for '--counts'");
  });

  it('with --decode, decodes every image and lists the ones that fail (a truncated JPEG passes a plain inspect)', async () => {
    const jpeg = new Uint8Array(
      await sharp({ create: { width: 48, height: 48, channels: 3, background: { r: 90, g: 30, b: 200 } } })
        .jpeg()
        .toBuffer(),
    );
    const root = await writeDataset({
      'trainset.json': [question(1, 'synpic1.jpg'), question(2, 'synpic2.jpg'), question(3, 'synpic3.jpg')],
      'testset.json': [question(4, 'synpic2.jpg')],
      'images/synpic1.jpg': jpeg,
      'images/synpic2.jpg': jpeg.subarray(0, Math.floor(jpeg.length / 2)), // truncated
      'images/synpic3.jpg': new TextEncoder().encode('not an image at all'),
    });
    const plain = await run('inspect', '--dataset', 'vqa-rad', '--root', root);
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout).decode).toBeUndefined();

    const { code, stdout, stderr } = await run('inspect', '--dataset', 'vqa-rad', '--root', root, '--decode');
    expect(code).toBe(1);
    const { decode } = JSON.parse(stdout);
    expect(decode).toMatchObject({ images: 3, decoded: 1 });
    expect(decode.failures).toEqual([
      expect.objectContaining({ file: path.join(root, 'images/synpic2.jpg'), splits: ['train', 'test'], reason: 'corrupt' }),
      expect.objectContaining({ file: path.join(root, 'images/synpic3.jpg'), splits: ['train'], reason: 'unrecognized' }),
    ]);
    expect(stderr).toContain('decode 3/3 images');
    expect(stderr).toContain(`UMD_DatasetImagesError: 2 of 3 images of ${root} failed to decode`);
  });

  it('prints its version, exit 0', async () => {
    const { code, stdout } = await run('--version');
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('exits 2 for a malformed command line', async () => {
    const noRoot = await run('inspect', '--dataset', 'slake');
    expect(noRoot.code).toBe(2);
    expect(noRoot.stderr).toContain("required option '--root <dir>' not specified");
    const missing = await run('inspect', '--root', '/tmp');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '--dataset <name>' not specified");
    const unknown = await run('inspect', '--dataset', 'coco', '--root', '/tmp');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Allowed choices are vqa-rad, slake');
    expect((await run('summarize')).code).toBe(2);
  });

  it('prints one line with --compact', async () => {
    const { stdout } = await run('inspect', '--dataset', 'vqa-rad', '--root', await vqaRad(), '--compact');
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(stdout).dataset).toBe('vqa-rad');
  });

  it('runs as an executable that sets the process exit code and writes errors to stderr', async () => {
    const exec = promisify(execFile);
    const tsx = path.join(packageDir, 'node_modules/.bin/tsx');
    const script = path.join(packageDir, 'src/cli/umd-data.ts');
    const failed = await rejectionOf(exec(tsx, ['--conditions=@umd/source', script, 'inspect', '--dataset', 'medpix', '--root', '/nonexistent']));
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toContain('UMD_DatasetNotFoundError');
  });
});

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the command to fail');
}
