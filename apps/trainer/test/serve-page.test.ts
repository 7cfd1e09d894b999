/// <reference lib="dom" />
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { useBackend } from '@umd/core/testing';
import { generatePhantomDataset, type VqaSample } from '@umd/data';
import { loadModelBundle, predictWithBundle, type BundlePrediction } from '@umd/tasks';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { exportRun } from '../src/bundle/export-run.js';
import { buildPage } from '../src/serve/build-page.js';
import { serveModel, type ServedModel } from '../src/serve/serve-model.js';

import { microModelYaml } from './micro-model.js';

const appDir = fileURLToPath(new URL('..', import.meta.url));
/** Screenshots the test keeps (CI artifacts; ignored by git). */
const artifacts = path.join(appDir, 'test-artifacts');
const dicomDir = fileURLToPath(new URL('../../../../shared/data/dicom/pydicom_test_files/', import.meta.url));

/** Debian's chromium (installed by .ci/run when missing), or CHROMIUM_PATH. */
const browserPath = [process.env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(
  (candidate): candidate is string => candidate !== undefined && existsSync(candidate),
);
if (!browserPath) console.warn('[serve-page.test] skipped: no Chromium (apt-get install chromium, or set CHROMIUM_PATH)');

/** A micro VQA model tuned on phantom scans of 32 px: enough to answer, small enough for a test. */
const microConfig = `
name: micro-serve
seed: 1
${microModelYaml}
data:
  imageCache: null
  phantom: { task: vqa, trainImages: 24, validateImages: 8, testImages: 8, size: 32 }
stages: [finetune]
finetune: { epochs: 2, batchSize: 8 }
`;

function umdTrain(args: readonly string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=@umd/source', '--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: appDir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

interface PageAnswer {
  readonly answers: { name: string; probability: number }[];
  readonly relevance: number[];
}

/** Asks the page about `file` (chosen with the file input) and reads the answers and the relevance map back. */
async function askPage(page: Page, file: string, question: string): Promise<PageAnswer> {
  const answered = Number((await page.locator('#result').getAttribute('data-answered')) ?? 0);
  await page.setInputFiles('#image-file', file);
  await page.fill('#question', question);
  await page.press('#question', 'Enter'); // the keyboard submits the form
  await page.waitForFunction(
    (count) => Number(document.querySelector('#result')?.getAttribute('data-answered') ?? 0) > count || document.querySelector('#error')?.textContent !== '',
    answered,
  );
  const error = await page.locator('#error').textContent();
  if (error) throw new Error(`the page says: ${error}`);
  const answers = await page
    .locator('#answers li')
    .evaluateAll((items) =>
      items.map((item) => ({ name: (item as HTMLElement).dataset['answer']!, probability: Number((item as HTMLElement).dataset['probability']) })),
    );
  const relevance = JSON.parse((await page.locator('#heat-map').getAttribute('data-relevance')) ?? '[]') as number[];
  return { answers, relevance };
}

/** Asks about a file the page should refuse; returns the alert's text. */
async function refusal(page: Page, file: string, question = 'Is there a lesion?'): Promise<string> {
  await page.evaluate(() => (document.querySelector('#error')!.textContent = ''));
  await page.setInputFiles('#image-file', file);
  await page.fill('#question', question);
  await page.click('#ask-button');
  await page.waitForFunction(() => document.querySelector('#error')?.textContent !== '');
  return (await page.locator('#error').textContent()) ?? '';
}

describe.skipIf(!browserPath)('umd-train serve: the model in a real browser (headless Chromium)', () => {
  let root: string;
  let bundleDir: string;
  let scan: string;
  let sample: VqaSample;
  let node: BundlePrediction;
  let served: ServedModel;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await useBackend('cpu');
    root = await mkdtemp(path.join(os.tmpdir(), 'trainer-serve-'));
    await writeFile(path.join(root, 'micro.yaml'), microConfig);
    const run = await umdTrain(['run', '--config', path.join(root, 'micro.yaml'), '--out', path.join(root, 'run'), '--progress', 'plain']);
    expect(run.stderr.slice(-2000)).toBeDefined();
    expect(run.status, run.stderr.slice(-2000)).toBe(0);
    bundleDir = path.join(root, 'bundle');
    const exported = await exportRun({ run: path.join(root, 'run'), to: bundleDir });
    // A phantom run's bundle carries test scans to try it on, with their questions.
    expect(exported.samples.length).toBeGreaterThan(0);
    const index = JSON.parse(await readFile(path.join(bundleDir, 'samples', 'index.json'), 'utf8')) as { file: string; question: string }[];
    expect(index.map((entry) => entry.file)).toEqual(exported.samples.map((entry) => entry.file));
    expect(existsSync(path.join(bundleDir, 'samples', index[0]!.file))).toBe(true);

    // A phantom scan at the model's size, as a PNG file: the page and Node see the same pixels.
    const phantom = generatePhantomDataset({ seed: 7, counts: { train: 0, validate: 0, test: 1 }, size: 32, tasks: ['vqa'] });
    sample = phantom.splits.test[0]!;
    if (sample.image.kind !== 'pixels') throw new Error('phantom scans are in-memory pixels');
    const samples = path.join(root, 'samples');
    await mkdir(samples);
    scan = path.join(samples, 'phantom-scan.png');
    await sharp(sample.image.data, { raw: { width: sample.image.width, height: sample.image.height, channels: sample.image.channels } })
      .png()
      .toFile(scan);
    const bundle = await loadModelBundle(bundleDir);
    try {
      node = (await predictWithBundle(bundle, [{ image: { kind: 'file', path: scan }, text: sample.question }], { topK: 5, relevance: true }))[0]!;
    } finally {
      bundle.dispose();
    }

    // The page built from the sources as they are now (dist/web may be older than the packages it bundles).
    const pageDir = await buildPage(path.join(root, 'page'));
    served = await serveModel({ model: bundleDir, port: 0, samples, page: pageDir });
    browser = await chromium.launch({ executablePath: browserPath!, args: ['--no-sandbox'] });
    page = await browser.newPage();
    page.on('pageerror', (error) => console.error('[page]', error));
    await page.goto(served.url);
    await page.waitForSelector('#model-status[data-loaded="true"]', { timeout: 60_000 });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await served?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('answers as `predict` does in Node (probabilities to 1e-4), draws the heat map and keeps a screenshot', async () => {
    expect(await page.evaluate(() => document.body.dataset['backend'])).toBe('wasm'); // tfjs' WebAssembly backend in the page
    const answer = await askPage(page, scan, sample.question);
    expect(answer.answers.map((entry) => entry.name)).toEqual(node.ranked.map((entry) => entry.name));
    answer.answers.forEach((entry, index) => expect(Math.abs(entry.probability - node.ranked[index]!.probability)).toBeLessThan(1e-4));
    const nodeRelevance = node.relevance!.values;
    expect(answer.relevance).toHaveLength(16); // 32 px / 8 px patches: 4 × 4
    const scale = Math.max(...nodeRelevance.map(Math.abs));
    answer.relevance.forEach((value, index) => expect(Math.abs(value - nodeRelevance[index]!)).toBeLessThan(1e-3 * scale + 1e-6));
    // The heat map is drawn: some canvas pixels are warm-tinted (red well above blue).
    const warm = await page.locator('#heat-map').evaluate((canvas: HTMLCanvasElement) => {
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let count = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i]! > data[i + 2]! + 40) count++;
      return count;
    });
    expect(warm).toBeGreaterThan(0);
    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'serve-page.png'), fullPage: true });
  });

  it('offers the samples folder and loads a sample by choice', async () => {
    // Only the listed samples and the bundle's files are served; a malformed path is a 404, not a crash.
    for (const bad of ['samples/%E0', 'samples/..%2Fmodel%2Fconfig.json', 'model/../../etc/passwd', 'model/secret.txt']) {
      expect((await fetch(new URL(bad, served.url))).status, bad).toBe(404);
    }
    expect((await fetch(new URL('model/config.json', served.url))).status).toBe(200);
    const options = await page.locator('#sample option').allTextContents();
    expect(options).toContain('phantom-scan.png');
    await page.selectOption('#sample', 'phantom-scan.png');
    await page.fill('#question', sample.question);
    const before = Number(await page.locator('#result').getAttribute('data-answered'));
    await page.click('#ask-button');
    await page.waitForFunction((count) => Number(document.querySelector('#result')?.getAttribute('data-answered')) > count, before);
    expect(await page.locator('#answers li').first().getAttribute('data-answer')).toBe(node.ranked[0]!.name);
  });

  it('says clearly what is wrong with a non-image, an image far too large, a question too long', async () => {
    const notImage = path.join(root, 'notes.png');
    await writeFile(notImage, 'these are notes, not a picture\n');
    expect(await refusal(page, notImage)).toMatch(/notes\.png: not an image this page reads/);
    // A PNG whose header says 20,000 × 20,000 pixels (the page refuses it before decoding).
    const header = await readFile(scan);
    const huge = Buffer.from(header);
    huge.writeUInt32BE(20_000, 16);
    huge.writeUInt32BE(20_000, 20);
    const hugeFile = path.join(root, 'huge.png');
    await writeFile(hugeFile, huge);
    expect(await refusal(page, hugeFile)).toMatch(/huge\.png: 20000 × 20000 pixels is more than this page decodes/);
    const long = Array.from({ length: 60 }, () => 'lesion').join(' ');
    expect(await refusal(page, scan, long)).toMatch(/question is \d+ tokens .* at most 24/);
  });

  it.skipIf(!existsSync(dicomDir))('reads DICOM in the page: a CT with a window preset; refuses a truncated file and one without pixel data', async () => {
    const ct = path.join(root, 'CT_small.dcm');
    await copyFile(path.join(dicomDir, 'CT_small.dcm'), ct);
    await page.setInputFiles('#image-file', ct);
    await expect.poll(() => page.locator('#dicom-controls').isVisible()).toBe(true);
    await page.selectOption('#window-preset', 'abdomen');
    const answer = await askPage(page, ct, 'Is this a CT scan?');
    expect(answer.answers.length).toBeGreaterThan(0);
    const truncated = path.join(root, 'truncated.dcm');
    await writeFile(truncated, (await readFile(ct)).subarray(0, 2000));
    expect(await refusal(page, truncated)).toMatch(/truncated\.dcm/);
    const rtplan = path.join(root, 'rtplan.dcm');
    await copyFile(path.join(dicomDir, 'rtplan.dcm'), rtplan);
    expect(await refusal(page, rtplan)).toMatch(/rtplan\.dcm.*pixel data/i);
    // JPEG-compressed DICOM decodes in Node only (sharp, WebAssembly codecs): the page says where to go.
    const jpeg = path.join(root, 'SC_rgb_jpeg.dcm');
    await copyFile(path.join(dicomDir, 'SC_rgb_jpeg.dcm'), jpeg);
    expect(await refusal(page, jpeg)).toMatch(/SC_rgb_jpeg\.dcm.*umd-train predict/);
  });
});
