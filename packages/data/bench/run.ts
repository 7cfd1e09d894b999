/**
 * `pnpm --filter @umd/data bench`: throughput of the image and text pipelines, one JSON object per line.
 *
 * - image-cold: decode + resize + centre crop + normalise, no cache (every image decoded by sharp), at 224 px RGB and
 *   64 px grey, with several images in flight (`concurrency`).
 * - image-cache: the same from the preprocessed cache (warmed first): on disk in the same pipeline (path → key memo,
 *   the steady state of epoch 2+), on disk in a fresh pipeline (a new process: files re-read and re-hashed), and in
 *   memory (`memoryCacheMiB`); each as normalised float32 (`loadImageBatch`, `output: 'float32'`) and as 8-bit
 *   pixels for the tensor side to normalise (`loadPixelBatch`, `output: 'uint8'`).
 * - sharp-reference: sharp alone (read, decode, 224 cover resize to raw RGB), the ceiling for image-cold.
 * - tokenize: texts/s through WordPieceTokenizer.encodeBatch (bert-base-uncased, batches of 32, maxLength 128).
 *
 * Images: the real MedPix 2.0 JPEGs in $UMD_DATA_DIR/medpix-2.0/images (default ../shared/data beside the repo) when
 * present, else generated JPEGs. Each figure is the median of `runs` (the machine is shared: see `runs` for spread).
 * `cpuMsPerImage` (process CPU time, all threads, per image) is steadier than wall time on a busy machine;
 * `idleCapacityPerSecond` = 1000 × cores / cpuMsPerImage is the rate those costs allow on otherwise idle cores.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import sharp from 'sharp';

import {
  createImagePipeline,
  generatePhantomDataset,
  loadImageBatch,
  loadPixelBatch,
  loadWordPieceTokenizer,
  type ImagePipelineConfig,
  type ImageSource,
} from '@umd/data';

const runs = Number(process.env.BENCH_RUNS ?? 3);
const imageCount = Number(process.env.BENCH_IMAGES ?? 500);
const dataDir = process.env.UMD_DATA_DIR ?? resolve(import.meta.dirname, '../../../../shared/data');
const medpix = join(dataDir, 'medpix-2.0');
const work = await mkdtemp(join(tmpdir(), 'umd-data-bench-'));

function emit(record: Record<string, unknown>): void {
  console.log(JSON.stringify(record));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function imageSources(): Promise<{ sources: ImageSource[]; origin: string }> {
  const folder = join(medpix, 'images');
  if (existsSync(folder)) {
    const names = readdirSync(folder)
      .filter((name) => /\.(jpe?g|png)$/i.test(name))
      .sort()
      .slice(0, imageCount);
    return { sources: names.map((name) => ({ kind: 'file', path: join(folder, name) })), origin: `medpix-2.0 (${names.length} real JPEGs)` };
  }
  // Fallback: phantom scans upscaled to 512 px and saved as JPEG (quality 90), like the MedPix copies.
  const phantom = generatePhantomDataset({ seed: 1, counts: { train: imageCount, validate: 0, test: 0 }, size: 128, tasks: ['caption'] });
  const sources: ImageSource[] = [];
  for (const sample of phantom.splits.train) {
    if (sample.image.kind !== 'pixels') continue;
    const path = join(work, `${sample.imageId}.jpg`);
    const { width, height, channels, data } = sample.image;
    await writeFile(path, await sharp(data, { raw: { width, height, channels } }).resize(512, 512).jpeg({ quality: 90 }).toBuffer());
    sources.push({ kind: 'file', path });
  }
  return { sources, origin: `generated (${sources.length} phantom JPEGs, 512 px)` };
}

interface Timing {
  readonly rates: number[];
  readonly cpuMs: number[];
}

async function time(count: number, body: () => Promise<void>): Promise<{ rate: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await body();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { rate: count / seconds, cpuMs: (used.user + used.system) / 1000 / count };
}

async function timeImages(
  config: ImagePipelineConfig,
  sources: readonly ImageSource[],
  concurrency: number,
  fresh: boolean,
  output: 'float32' | 'uint8' = 'float32',
): Promise<Timing> {
  const load = output === 'uint8' ? loadPixelBatch : loadImageBatch;
  const shared = createImagePipeline(config);
  const timing: Timing = { rates: [], cpuMs: [] };
  for (let run = 0; run < runs; run++) {
    const pipeline = fresh ? createImagePipeline(config) : shared;
    // Batches of 32 as a loader would request them, each loading `concurrency` images at a time.
    const { rate, cpuMs } = await time(sources.length, async () => {
      for (let i = 0; i < sources.length; i += 32) await load(pipeline, sources.slice(i, i + 32), { concurrency });
    });
    timing.rates.push(rate);
    timing.cpuMs.push(cpuMs);
  }
  return timing;
}

function figures(timing: Timing): Record<string, unknown> {
  const cpuMsPerImage = median(timing.cpuMs);
  return {
    imagesPerSecond: Math.round(median(timing.rates)),
    runs: timing.rates.map(Math.round),
    cpuMsPerImage: Number(cpuMsPerImage.toFixed(3)),
    idleCapacityPerSecond: Math.round((1000 * cpus().length) / cpuMsPerImage),
  };
}

const { sources, origin } = await imageSources();
emit({
  bench: 'environment',
  node: process.version,
  cpus: cpus().length,
  cpu: cpus()[0]?.model,
  sharpConcurrency: sharp.concurrency(),
  uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)',
  images: origin,
  runs,
});

// sharp alone, same images, 4 in flight: what this machine gives right now.
{
  const timing: Timing = { rates: [], cpuMs: [] };
  for (let run = 0; run < runs; run++) {
    let next = 0;
    const { rate, cpuMs } = await time(sources.length, async () => {
      const worker = async (): Promise<void> => {
        while (next < sources.length) {
          const source = sources[next++]!;
          if (source.kind !== 'file') continue;
          await sharp(await readFile(source.path))
            .resize(224, 224, { fit: 'cover' })
            .toColourspace('srgb')
            .raw()
            .toBuffer();
        }
      };
      await Promise.all(Array.from({ length: 4 }, worker));
    });
    timing.rates.push(rate);
    timing.cpuMs.push(cpuMs);
  }
  emit({ bench: 'sharp-reference', size: 224, channels: 3, concurrency: 4, images: sources.length, ...figures(timing) });
}

const shapes = [
  { size: 224, channels: 3 as const },
  { size: 64, channels: 1 as const },
];
for (const { size, channels } of shapes) {
  for (const concurrency of [1, 4, 8]) {
    const timing = await timeImages({ size, channels }, sources, concurrency, true);
    emit({ bench: 'image-cold', size, channels, concurrency, images: sources.length, ...figures(timing) });
  }
  const cacheDir = join(work, `cache-${size}`);
  const fill = await time(sources.length, async () => {
    const pipeline = createImagePipeline({ size, channels, cacheDir });
    for (let i = 0; i < sources.length; i += 32) await loadImageBatch(pipeline, sources.slice(i, i + 32), { concurrency: 4 });
  });
  emit({ bench: 'image-cache-fill', size, channels, concurrency: 4, imagesPerSecond: Math.round(fill.rate), cpuMsPerImage: Number(fill.cpuMs.toFixed(3)) });
  const variants = [
    { cache: 'disk, same pipeline (epoch 2+)', config: { size, channels, cacheDir }, fresh: false },
    { cache: 'disk, fresh pipeline (new process: files re-hashed)', config: { size, channels, cacheDir }, fresh: true },
    { cache: 'memory (memoryCacheMiB), same pipeline', config: { size, channels, cacheDir, memoryCacheMiB: 1024 }, fresh: false },
  ];
  for (const { cache, config, fresh } of variants) {
    for (const output of ['float32', 'uint8'] as const) {
      const timing = await timeImages(config, sources, 8, fresh, output);
      emit({ bench: 'image-cache', size, channels, concurrency: 8, cache, output, images: sources.length, ...figures(timing) });
    }
  }
}

const tokenizer = await loadWordPieceTokenizer({ cacheDir: join(work, 'tokenizers') });
let texts: string[];
let textOrigin: string;
const descriptions = join(medpix, 'Descriptions.json');
if (existsSync(descriptions)) {
  const records = JSON.parse(readFileSync(descriptions, 'utf8')) as { Description?: { Caption?: string } }[];
  texts = records.map((record) => record.Description?.Caption ?? '').filter((text) => text.length > 0);
  textOrigin = `medpix-2.0 captions (${texts.length})`;
} else {
  const phantom = generatePhantomDataset({ seed: 1, counts: { train: 500, validate: 0, test: 0 }, size: 32 });
  texts = phantom.splits.train.map((sample) => (sample.task === 'vqa' ? sample.question : sample.task === 'caption' ? sample.caption : sample.text));
  textOrigin = `phantom texts (${texts.length})`;
}
const tokenRates: number[] = [];
let tokens = 0;
for (let run = 0; run < runs; run++) {
  tokens = 0;
  const { rate } = await time(texts.length, async () => {
    for (let i = 0; i < texts.length; i += 32) {
      const batch = tokenizer.encodeBatch(texts.slice(i, i + 32), { maxLength: 128 });
      tokens += batch.attentionMask.data.reduce((sum, value) => sum + value, 0);
    }
  });
  tokenRates.push(rate);
}
emit({
  bench: 'tokenize',
  texts: textOrigin,
  batchSize: 32,
  maxLength: 128,
  meanTokens: Math.round(tokens / texts.length),
  textsPerSecond: Math.round(median(tokenRates)),
  runs: tokenRates.map(Math.round),
});

await rm(work, { recursive: true, force: true });
