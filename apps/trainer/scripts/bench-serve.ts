/// <reference lib="dom" />
// Latency of a model bundle in Node (`umd-train predict`'s path) and in headless Chromium (the `umd-train serve` page):
// bundle load time and ms per question, the same image and question, N rounds each.
//   node --conditions=@umd/source --import tsx scripts/bench-serve.ts --model DIR --image FILE --question TEXT
//     [--rounds 5] [--screenshot FILE] [--chromium /usr/bin/chromium]
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { initRuntime } from '@umd/core';
import { loadModelBundle, predictWithBundle } from '@umd/tasks';
import { chromium } from 'playwright-core';

import { serveModel } from '../src/serve/serve-model.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    image: { type: 'string' },
    question: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    screenshot: { type: 'string' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
});
if (!values.model || !values.image || values.question === undefined) throw new Error('give --model, --image and --question');
const rounds = Number(values.rounds);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const runtime = await initRuntime({ onLog: () => undefined });
const bundle = await loadModelBundle(values.model);
const input = [{ image: { kind: 'file' as const, path: path.resolve(values.image) }, text: values.question }];
const first = performance.now();
await predictWithBundle(bundle, input);
const firstMs = performance.now() - first;
const plain: number[] = [];
const mapped: number[] = [];
for (let round = 0; round < rounds; round++) {
  let started = performance.now();
  await predictWithBundle(bundle, input);
  plain.push(performance.now() - started);
  started = performance.now();
  await predictWithBundle(bundle, input, { relevance: true });
  mapped.push(performance.now() - started);
}
bundle.dispose();
console.log(
  `node (${runtime.backend}): load ${bundle.loadMs.toFixed(0)} ms; first answer ${firstMs.toFixed(0)} ms; then ${median(plain).toFixed(0)} ms a question, ${median(mapped).toFixed(0)} ms with the relevance map (median of ${rounds})`,
);

const samples = await mkdtemp(path.join(os.tmpdir(), 'bench-serve-'));
await copyFile(values.image, path.join(samples, path.basename(values.image)));
const served = await serveModel({ model: values.model, port: 0, samples });
const browser = await chromium.launch({ executablePath: values.chromium, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(served.url);
  await page.waitForSelector('#model-status[data-loaded="true"]', { timeout: 300_000 });
  const loadMs = Number(await page.locator('#model-status').getAttribute('data-load-ms'));
  const backend = await page.evaluate(() => document.body.dataset['backend']);
  await page.selectOption('#sample', path.basename(values.image));
  await page.fill('#question', values.question);
  const times: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    await page.click('#ask-button');
    await page.waitForFunction((count) => Number(document.querySelector('#result')?.getAttribute('data-answered') ?? 0) > count, round, { timeout: 300_000 });
    times.push(Number(await page.locator('#timing').getAttribute('data-ms')));
  }
  console.log(
    `chromium (the page, tfjs ${backend} backend): load ${loadMs.toFixed(0)} ms; first answer ${times[0]!.toFixed(0)} ms; then ${median(times.slice(1)).toFixed(0)} ms a question with the relevance map (median of ${rounds})`,
  );
  const top = await page
    .locator('#answers li')
    .evaluateAll((items) =>
      items.map((item) => `${(item as HTMLElement).dataset['answer']} ${(100 * Number((item as HTMLElement).dataset['probability'])).toFixed(1)}%`),
    );
  console.log(`page answers: ${top.join(', ')}`);
  if (values.screenshot) await page.screenshot({ path: values.screenshot, fullPage: true });
} finally {
  await browser.close();
  await served.close();
  await rm(samples, { recursive: true, force: true });
}
