/**
 * MR pre-training of the tiny UMD model on MedPix 2.0 train captions (or phantom captions), with a wall-clock budget.
 *
 *   pnpm --filter @umd/mr-pretrain pretrain --data /work/shared/data/medpix-2.0 --minutes 60 --out runs/pretrain-medpix
 *   pnpm --filter @umd/mr-pretrain pretrain --phantom --steps 200 --batch 16 --out runs/pretrain-phantom
 *   pnpm --filter @umd/mr-pretrain pretrain --data … --out runs/pretrain-medpix --resume     # same steps as the first run
 *
 * With `--minutes` and no `--steps`, a few timed warm steps set the step count so the schedules (warm-up + cosine,
 * teacher momentum) finish inside the budget; the run is also aborted (after a checkpoint) when the budget runs out.
 * The resolved settings are written to `<out>/run.json`; `--resume` reads the step count from there.
 * Only MedPix's train split is used: dev and test are never seen in pre-training.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import * as tf from '@tensorflow/tfjs-core';
import { AdamW, initRuntime, SeededRandom } from '@umd/core';
import { generatePhantomDataset, loadMedpixCaptions, loadWordPieceTokenizer, type CaptionSample, type WordPieceTokenizer } from '@umd/data';
import { encoderPresets, loadVisionStem, UmdModel, type UmdModelConfig } from '@umd/encoders';

import { createMrPretraining, mrPretrainPresets, mrPretrainStep, runMrPretraining, type MrPretrainConfig } from '../src/index.js';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string' },
    phantom: { type: 'boolean', default: false },
    minutes: { type: 'string' },
    steps: { type: 'string' },
    batch: { type: 'string', default: '32' },
    out: { type: 'string', default: 'runs/pretrain-medpix' },
    resume: { type: 'boolean', default: false },
    config: { type: 'string', default: 'full' },
    lr: { type: 'string', default: '3e-4' },
    warmup: { type: 'string' },
    seed: { type: 'string', default: '0' },
    'log-every': { type: 'string', default: '10' },
    'checkpoint-every': { type: 'string', default: '200' },
    'picture-every': { type: 'string', default: '200' },
    cache: { type: 'string', default: '.cache/umd-images' },
    stem: { type: 'string' },
  },
});

const started = performance.now();
if (!args.phantom && !args.data) throw new Error('pretrain: give --data <MedPix 2.0 root> or --phantom');
if (!(args.config in mrPretrainPresets)) throw new Error(`pretrain: --config must be one of ${Object.keys(mrPretrainPresets).join(', ')}`);
const runtime = await initRuntime({ onLog: (line) => console.error(line) });
console.log(`backend ${runtime.backend} (${runtime.reason})`);

if (args.stem !== undefined && args.stem !== 'mobilenet-v2') throw new Error(`pretrain: --stem must be mobilenet-v2, got '${args.stem}'`);
// `--stem mobilenet-v2`: the frozen ImageNet MobileNetV2 of nsfwjs makes the ViT's tokens (224 px RGB, one per 32 px).
const model: UmdModelConfig = args.stem
  ? { ...encoderPresets.tiny, vision: { ...encoderPresets.tiny.vision, imageSize: 224, patchSize: 32, channels: 3, stem: { kind: 'mobilenet-v2' } } }
  : encoderPresets.tiny;
const config: MrPretrainConfig = mrPretrainPresets[args.config as keyof typeof mrPretrainPresets];
const batchSize = Number(args.batch);
const seed = Number(args.seed);
const outDir = path.resolve(args.out);
const budgetMs = args.minutes === undefined ? undefined : Number(args.minutes) * 60_000;

const samples: readonly CaptionSample[] = args.phantom
  ? generatePhantomDataset({ seed, counts: { train: 2000, validate: 0, test: 0 }, size: 96, tasks: ['caption'] }).splits.train
  : ((await loadMedpixCaptions({ root: args.data!, onError: 'skip' })).splits['train'] ?? []); // train only: never dev/test
const tokenizer = await loadWordPieceTokenizer();
console.log(`data ${args.phantom ? 'phantom' : args.data} train captions ${samples.length}`);

const runFile = path.join(outDir, 'run.json');
const previous = args.resume && existsSync(runFile) ? (JSON.parse(readFileSync(runFile, 'utf8')) as { steps: number }) : undefined;
let steps: number;
if (args.steps !== undefined) steps = Number(args.steps);
else if (previous) steps = previous.steps;
else if (budgetMs !== undefined) {
  const stepMs = await measureStepMs(model, config, samples, tokenizer, batchSize);
  const elapsed = performance.now() - started;
  steps = Math.max(1, Math.floor((0.9 * (budgetMs - elapsed)) / stepMs)); // 10% for data, checkpoints, pictures
  console.log(`calibration ${stepMs.toFixed(0)} ms/step → ${steps} steps in the budget`);
} else steps = 1000;
const warmupSteps = args.warmup === undefined ? Math.min(500, Math.round(0.05 * steps)) : Number(args.warmup);
const learningRate = { base: Number(args.lr), warmupSteps, min: Number(args.lr) / 100 };
mkdirSync(outDir, { recursive: true });
writeFileSync(
  runFile,
  `${JSON.stringify({ data: args.phantom ? 'phantom' : args.data, config: args.config, steps, batchSize, seed, learningRate }, null, 2)}\n`,
);

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
const budgetTimer = budgetMs === undefined ? undefined : setTimeout(() => controller.abort(), Math.max(0, budgetMs - (performance.now() - started)));

const logEvery = Number(args['log-every']);
let intervalMs = 0;
let intervalSteps = 0;
const run = await runMrPretraining({
  model,
  config,
  samples,
  tokenizer,
  batchSize,
  steps,
  learningRate,
  seed,
  outDir,
  image: { cacheDir: path.resolve(args.cache), memoryCacheMiB: 256 },
  checkpointEvery: Number(args['checkpoint-every']),
  pictureEvery: config.terms.mim ? Number(args['picture-every']) : 0,
  resume: args.resume,
  signal: controller.signal,
  onEvent: (event) => {
    if (event.type === 'train-start')
      console.log(`start at step ${event.startStep} of ${event.maxSteps}${event.resumedFrom ? ` (resumed from ${event.resumedFrom})` : ''}`);
    if (event.type === 'checkpoint-save') console.log(`checkpoint ${event.path} (${event.ms.toFixed(0)} ms)`);
    if (event.type === 'picture-save') console.log(`picture ${event.path}`);
    if (event.type !== 'step-end') return;
    intervalMs += event.stepMs;
    intervalSteps += 1;
    if (event.step % logEvery !== 0 && event.step !== event.maxSteps) return;
    const terms = Object.entries(event.terms)
      .map(([term, value]) => `${term} ${value.toFixed(4)}`)
      .join(' ');
    const eta = `${Math.floor(event.etaMs / 60_000)}m${String(Math.round((event.etaMs % 60_000) / 1000)).padStart(2, '0')}s`;
    console.log(
      `step ${event.step}/${event.maxSteps} | ${terms} | total ${event.loss.toFixed(4)} | lr ${event.learningRate.toExponential(2)} | ${(intervalMs / intervalSteps).toFixed(0)} ms/step | ETA ${eta} | tensors ${event.numTensors}`,
    );
    intervalMs = 0;
    intervalSteps = 0;
  },
});
if (budgetTimer) clearTimeout(budgetTimer);
console.log(`${run.reason} at step ${run.step} of ${steps} in ${((performance.now() - started) / 60_000).toFixed(1)} min`);
console.log(`metrics ${run.metricsPath}`);
console.log(`checkpoint ${run.lastCheckpoint ?? '(none)'}`);
console.log(`pictures ${run.pictures.length > 0 ? run.pictures.join(', ') : '(none)'}`);
console.log(`settings ${runFile}`);

/** Mean time of 2 steps after 1 warm-up step, on synthetic images and real captions (data loading overlaps training). */
async function measureStepMs(
  modelConfig: UmdModelConfig,
  mrConfig: MrPretrainConfig,
  captions: readonly CaptionSample[],
  wordPiece: WordPieceTokenizer,
  B: number,
): Promise<number> {
  const random = new SeededRandom('pretrain/calibration');
  await loadVisionStem(modelConfig.vision.stem);
  const student = new UmdModel(modelConfig, random);
  const { pad, unk, cls, sep, mask } = wordPiece.specialIds;
  const pretraining = createMrPretraining({
    model: student,
    config: mrConfig,
    random,
    totalSteps: 100,
    tokens: { maskTokenId: mask, specialTokenIds: [pad, unk, cls, sep, mask] },
  });
  const optimizer = new AdamW(student.parameters(), { learningRate: 1e-4 });
  const { imageSize: S, channels: C } = modelConfig.vision;
  const text = wordPiece.encodeBatch(
    Array.from({ length: B }, (_, i) => captions[i % captions.length]!.caption),
    { maxLength: modelConfig.text.maxPositions },
  );
  const images = tf.tensor4d(random.normalArray(B * S * S * C), [B, S, S, C]);
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const { loss, terms } = mrPretrainStep(pretraining, optimizer, {
      images,
      tokenIds: text.inputIds.data,
      attentionMask: text.attentionMask.data,
      wordIds: text.wordIds.data,
    });
    await loss.data();
    tf.dispose([loss, ...Object.values(terms)]);
    times.push(performance.now() - t0);
  }
  images.dispose();
  optimizer.dispose();
  pretraining.dispose();
  student.dispose();
  return (times[1]! + times[2]!) / 2;
}
