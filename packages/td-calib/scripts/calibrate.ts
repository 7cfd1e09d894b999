/**
 * TD-Calib on a downstream training split: re-estimated statistics, the MR objectives continued for N steps, losses on
 * a fixed set of training batches before and after, and `<out>/calibrated.safetensors`.
 *
 *   pnpm --filter @umd/td-calib calibrate --dataset vqa-rad --data /work/shared/data/vqa-rad \
 *     --checkpoint runs/pretrain-medpix/checkpoints/step-002304.safetensors --steps 100 --batch 16 --out runs/calib-vqa-rad
 *   pnpm --filter @umd/td-calib calibrate --dataset phantom --checkpoint … --steps 50 --out runs/calib-phantom
 *   … --resume        # continue an interrupted run in the same --out
 *
 * Only the training split is read (VQA-RAD MEVF train, SLAKE English train, phantom train): validation and test
 * samples never reach calibration. The result (statistics, losses, time) is also written to `<out>/result.json`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { initRuntime } from '@umd/core';
import { generatePhantomDataset, loadSlake, loadVqaRad, loadWordPieceTokenizer, type Sample } from '@umd/data';
import { mrTerms, type MrTerm } from '@umd/mr-pretrain';

import { calibrate, type MrLossValues } from '../src/index.js';

const { values: args } = parseArgs({
  options: {
    dataset: { type: 'string' },
    data: { type: 'string' },
    checkpoint: { type: 'string' },
    steps: { type: 'string', default: '100' },
    batch: { type: 'string', default: '16' },
    out: { type: 'string', default: 'runs/calibrate' },
    lr: { type: 'string' },
    warmup: { type: 'string' },
    seed: { type: 'string', default: '0' },
    off: { type: 'string', default: '' },
    'keep-statistics': { type: 'boolean', default: false },
    'max-images': { type: 'string' },
    'eval-batches': { type: 'string', default: '4' },
    'checkpoint-every': { type: 'string', default: '100' },
    'log-every': { type: 'string', default: '10' },
    cache: { type: 'string', default: '.cache/umd-images' },
    resume: { type: 'boolean', default: false },
  },
});

const datasets = ['vqa-rad', 'slake', 'phantom'] as const;
if (!(datasets as readonly string[]).includes(args.dataset ?? '')) throw new Error(`calibrate: --dataset must be one of ${datasets.join(', ')}`);
if (args.dataset !== 'phantom' && !args.data) throw new Error('calibrate: give --data <dataset root>');
if (!args.checkpoint) throw new Error('calibrate: give --checkpoint <MR pre-training checkpoint>');
const off = args.off === '' ? [] : args.off.split(',');
for (const term of off) if (!(mrTerms as readonly string[]).includes(term)) throw new Error(`calibrate: --off takes terms among ${mrTerms.join(', ')}`);

const started = performance.now();
const runtime = await initRuntime({ onLog: (line) => console.error(line) });
console.log(`backend ${runtime.backend} (${runtime.reason})`);
const seed = Number(args.seed);
const samples: readonly Sample[] = await loadTrainingSamples();
console.log(`data ${args.dataset} train samples ${samples.length}`);
const tokenizer = await loadWordPieceTokenizer();

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
const logEvery = Number(args['log-every']);
const format = (losses: MrLossValues): string =>
  [...(Object.keys(losses) as (MrTerm | 'total')[])].map((term) => `${term} ${losses[term]!.toFixed(4)}`).join(' ');
const result = await calibrate({
  checkpoint: path.resolve(args.checkpoint),
  samples,
  tokenizer,
  steps: Number(args.steps),
  batchSize: Number(args.batch),
  learningRate: {
    ...(args.lr !== undefined ? { base: Number(args.lr) } : {}),
    ...(args.warmup !== undefined ? { warmupSteps: Number(args.warmup) } : {}),
  },
  terms: Object.fromEntries(off.map((term) => [term, false])),
  reestimateStatistics: !args['keep-statistics'],
  ...(args['max-images'] !== undefined ? { statisticsMaxImages: Number(args['max-images']) } : {}),
  image: { cacheDir: path.resolve(args.cache), memoryCacheMiB: 256 },
  evaluationBatches: Number(args['eval-batches']),
  checkpointEvery: Number(args['checkpoint-every']),
  seed,
  outDir: path.resolve(args.out),
  resume: args.resume,
  signal: controller.signal,
  onEvent: (event) => {
    if (event.type === 'statistics-end') {
      console.log(
        `statistics of ${event.images} images: mean [${event.normalization.mean.map((v) => v.toFixed(4))}] std [${event.normalization.std.map((v) => v.toFixed(4))}] (${(event.ms / 1000).toFixed(1)} s)`,
      );
    }
    if (event.type === 'evaluation-end') console.log(`losses ${event.phase}: ${format(event.losses)} (${(event.ms / 1000).toFixed(1)} s)`);
    if (event.type === 'train-start')
      console.log(`start at step ${event.startStep} of ${event.maxSteps}${event.resumedFrom ? ` (resumed from ${event.resumedFrom})` : ''}`);
    if (event.type === 'checkpoint-save') console.log(`checkpoint ${event.path}`);
    if (event.type === 'step-end' && (event.step % logEvery === 0 || event.step === event.maxSteps)) {
      const terms = Object.entries(event.terms)
        .map(([term, value]) => `${term} ${value.toFixed(4)}`)
        .join(' ');
      console.log(
        `step ${event.step}/${event.maxSteps} | ${terms} | total ${event.loss.toFixed(4)} | lr ${event.learningRate.toExponential(2)} | ${event.stepMs.toFixed(0)} ms/step | tensors ${event.numTensors}`,
      );
    }
  },
});
const minutes = (performance.now() - started) / 60_000;
console.log(`${result.reason} at step ${result.steps} in ${minutes.toFixed(1)} min`);
console.log(`checkpoint ${result.checkpoint}`);
writeFileSync(path.join(path.resolve(args.out), 'result.json'), `${JSON.stringify({ dataset: args.dataset, minutes, ...result }, null, 2)}\n`);

/** The training split only: validation and test samples never reach calibration. */
async function loadTrainingSamples(): Promise<readonly Sample[]> {
  switch (args.dataset) {
    case 'vqa-rad':
      return (await loadVqaRad({ root: path.resolve(args.data!), onError: 'skip' })).splits['train'] ?? [];
    case 'slake':
      return (await loadSlake({ root: path.resolve(args.data!), language: 'en', onError: 'skip' })).splits['train'] ?? [];
    default:
      return generatePhantomDataset({ seed, counts: { train: 200, validate: 0, test: 0 }, size: 96, tasks: ['vqa'] }).splits.train;
  }
}
