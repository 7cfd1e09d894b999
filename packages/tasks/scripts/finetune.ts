/**
 * Task tuning of a (pre-trained) UMD model on a downstream dataset, printing validation metrics.
 *
 *   pnpm --filter @umd/tasks finetune --dataset vqa-rad --data /work/shared/data/vqa-rad \
 *     --checkpoint runs/pretrain-medpix/checkpoints/step-002304.safetensors --epochs 2 --seed 0 --out runs/vqa-rad
 *   pnpm --filter @umd/tasks finetune --dataset phantom --scratch --epochs 3 --out runs/phantom-vqa [--gm-coord] [--blind-image] [--pooling mean|cls]
 *
 * Datasets: vqa-rad (MEVF train; validation carved from it by image with a fixed seed), slake (English train /
 * validate), medpix-classification and medpix-retrieval (train / dev), phantom (synthetic). Test splits are never
 * loaded here. Writes metrics.jsonl, validation.jsonl, best.safetensors, best-validation.json and summary.json to --out.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { gitCommit, initRuntime, machineDescription } from '@umd/core';
import { ledgerLine, type LedgerRecord } from '@umd/evaluation';
import { loadWordPieceTokenizer } from '@umd/data';
import { encoderPresets, visionStemSpec, type MobileNetV2Layer, type UmdModelConfig } from '@umd/encoders';

import { evaluateTask, runTaskTuning, type TaskMetrics } from '../src/index.js';
import { loadTaskDataset, taskDatasetNames, type TaskDatasetName } from './task-datasets.js';

const { values: args } = parseArgs({
  options: {
    dataset: { type: 'string' },
    data: { type: 'string' },
    checkpoint: { type: 'string' },
    scratch: { type: 'boolean', default: false },
    epochs: { type: 'string' },
    steps: { type: 'string' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: 'runs/finetune' },
    resume: { type: 'boolean', default: false },
    'gm-coord': { type: 'boolean', default: false },
    'gm-alpha': { type: 'string', default: '0.5' },
    'gm-strategy': { type: 'string', default: 'ogm-ge' },
    'blind-image': { type: 'boolean', default: false },
    pooling: { type: 'string', default: 'mean' },
    stem: { type: 'string' },
    'stem-layer': { type: 'string', default: 'out_relu' },
    'vision-depth': { type: 'string' },
    dropout: { type: 'string' },
    'encoder-mult': { type: 'string', default: '1' },
    'vision-mult': { type: 'string' },
    augment: { type: 'boolean', default: false },
    'label-smoothing': { type: 'string', default: '0' },
    ledger: { type: 'string' },
    'score-test': { type: 'boolean', default: false },
    experiment: { type: 'string' },
    note: { type: 'string' },
    batch: { type: 'string', default: '32' },
    lr: { type: 'string', default: '5e-5' },
    'warmup-fraction': { type: 'string', default: '0.1' },
    'head-mult': { type: 'string', default: '50' },
    'fusion-mult': { type: 'string', default: '5' },
    'weight-decay': { type: 'string', default: '0.01' },
    'evaluate-every': { type: 'string' },
    'top-k': { type: 'string', default: '20' },
    'validation-fraction': { type: 'string', default: '0.15' },
    'carve-seed': { type: 'string', default: '0' },
    'carve-by': { type: 'string', default: 'image' },
    'answer-vocabulary': { type: 'string', default: 'train' },
    'log-every': { type: 'string', default: '10' },
    cache: { type: 'string', default: '.cache/umd-images' },
  },
});

const started = performance.now();
const commit = gitCommit(); // the code that runs is the code at the start
if (!args.dataset || !(taskDatasetNames as readonly string[]).includes(args.dataset)) {
  throw new Error(`finetune: --dataset must be one of ${taskDatasetNames.join(', ')}`);
}
if (!args.checkpoint && !args.scratch) throw new Error('finetune: give --checkpoint <pre-trained .safetensors> or --scratch (encoderPresets.tiny)');
if (args.epochs !== undefined && args.steps !== undefined) throw new Error('finetune: give --epochs or --steps, not both');
if (args.ledger !== undefined && args.experiment === undefined)
  throw new Error('finetune: --ledger needs --experiment <name> (runs of one setting over seeds share it)');
const runtime = await initRuntime({ onLog: (line) => console.error(line) });
console.log(`backend ${runtime.backend} (${runtime.reason})`);

const seed = Number(args.seed);
const dataset = await loadTaskDataset(args.dataset as TaskDatasetName, {
  ...(args.data ? { root: args.data } : {}),
  carveSeed: Number(args['carve-seed']),
  carveBy: parseCarveBy(args['carve-by']),
  answerVocabulary: parseAnswerVocabulary(args['answer-vocabulary']),
  validationFraction: Number(args['validation-fraction']),
  phantom: { size: 96, train: 400, validate: 100, seed },
});
console.log(`data ${dataset.name}: train ${dataset.train.length}, validation ${dataset.validation.length} (${dataset.task.kind})`);
for (const note of dataset.notes) console.log(`  ${note}`);
const tokenizer = await loadWordPieceTokenizer();
const outDir = path.resolve(args.out);
mkdirSync(outDir, { recursive: true });

const logEvery = Number(args['log-every']);
let intervalMs = 0;
let intervalSteps = 0;
const run = await runTaskTuning({
  task: dataset.task,
  train: dataset.train,
  validation: dataset.validation,
  tokenizer,
  ...(args.checkpoint ? { checkpoint: path.resolve(args.checkpoint) } : { modelConfig: scratchModelConfig() }),
  batchSize: Number(args.batch),
  ...(args.steps !== undefined ? { steps: Number(args.steps) } : { epochs: Number(args.epochs ?? 2) }),
  learningRate: {
    base: Number(args.lr),
    warmupFraction: Number(args['warmup-fraction']),
    weightDecay: Number(args['weight-decay']),
    multipliers: {
      heads: Number(args['head-mult']),
      fusion: Number(args['fusion-mult']),
      encoders: Number(args['encoder-mult']),
      ...(args['vision-mult'] !== undefined ? { vision: Number(args['vision-mult']) } : {}),
    },
  },
  seed,
  outDir,
  resume: args.resume,
  ...(args['gm-coord'] ? { gmCoord: { strategy: args['gm-strategy'] as 'ogm-ge', alpha: Number(args['gm-alpha']) } } : {}),
  blindImage: args['blind-image'],
  ...(Number(args['label-smoothing']) > 0 ? { labelSmoothing: Number(args['label-smoothing']) } : {}),
  pooling: parsePooling(args.pooling),
  image: {
    cacheDir: path.resolve(args.cache),
    memoryCacheMiB: 256,
    ...(args.augment ? { crop: { kind: 'random-resized', scale: [0.7, 1], ratio: [0.9, 1.1] } as const } : {}),
  },
  ...(args['evaluate-every'] ? { evaluateEvery: Number(args['evaluate-every']) } : {}),
  topK: Number(args['top-k']),
  onEvent: (event) => {
    if (event.type === 'train-start')
      console.log(`start at step ${event.startStep} of ${event.maxSteps}${event.resumedFrom ? ` (resumed from ${event.resumedFrom})` : ''}`);
    if (event.type === 'evaluation-end') {
      console.log(
        `validation step ${event.step} (epoch ${event.epoch + 1}) | ${describeMetrics(event.metrics)} | ${(event.ms / 1000).toFixed(1)} s${event.best ? ' | best so far' : ''}`,
      );
    }
    if (event.type !== 'step-end') return;
    intervalMs += event.trainMs;
    intervalSteps += 1;
    if (event.step % logEvery !== 0 && event.step !== event.maxSteps) return;
    const terms = Object.entries(event.terms)
      .map(([term, value]) => `${term} ${value.toFixed(4)}`)
      .join(' | ');
    const coefficients = event.coefficients
      ? ` | k ${Object.entries(event.coefficients)
          .map(([m, k]) => `${m} ${k.toFixed(2)}`)
          .join(' ')}`
      : '';
    console.log(
      `step ${event.step}/${event.maxSteps} | ${terms} | lr ${event.learningRate.toExponential(2)} | ${(intervalMs / intervalSteps).toFixed(0)} ms/step${coefficients} | tensors ${event.numTensors}`,
    );
    intervalMs = 0;
    intervalSteps = 0;
  },
});

const minutes = (performance.now() - started) / 60_000;
console.log(
  `${run.reason} at step ${run.step} of ${run.totalSteps} in ${minutes.toFixed(1)} min; median ${run.medianStepMs.toFixed(0)} ms/step (training only)`,
);
if (run.ignored.length > 0) console.log(`pre-trained entries ignored: ${run.ignored.length} (heads.*, extra/*)`);
if (run.best) {
  console.log(`best validation (step ${run.best.step}, epoch ${run.best.epoch + 1}): ${describeMetrics(run.best.metrics)}`);
  console.log(`best checkpoint ${run.bestCheckpoint}`);
}
const summary = {
  dataset: dataset.name,
  task: dataset.task.kind,
  checkpoint: args.checkpoint ?? 'scratch',
  seed,
  blindImage: args['blind-image'],
  pooling: args.pooling,
  gmCoord: args['gm-coord'],
  steps: run.step,
  totalSteps: run.totalSteps,
  medianStepMs: run.medianStepMs,
  minutes,
  backend: runtime.backend,
  history: run.history,
  best: run.best ? { step: run.best.step, epoch: run.best.epoch, metric: run.best.metric, metrics: run.best.metrics } : null,
};
writeFileSync(path.join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
const ledgerBase = {
  experiment: args.experiment ?? '',
  dataset: dataset.name,
  seed,
  command: `pnpm --filter @umd/tasks finetune ${process.argv.slice(2).join(' ')}`,
  config: `packages/tasks/scripts/finetune.ts flags (best validation epoch of ${run.totalSteps} steps)`,
  commit,
  machine: machineDescription(runtime.backend),
  ...(args.note ? { note: args.note } : {}),
};
if (args.ledger !== undefined && run.best && run.reason === 'completed') {
  appendLedgerRecord(path.resolve(args.ledger), {
    ...ledgerBase,
    split: 'validate',
    metrics: ledgerMetrics(run.best.metrics),
    date: new Date().toISOString(),
    wallMinutes: minutes,
  });
  console.log(`ledger ${path.resolve(args.ledger)} (${args.experiment}, validate)`);
}
// The selected model (best validation pass) scored once on the test split; nothing is chosen from this number.
if (args['score-test'] && run.bestCheckpoint && run.reason === 'completed') {
  if (!dataset.test || dataset.test.length === 0) {
    console.log(`test: ${dataset.name} has no test split here; nothing scored`);
  } else {
    const test = await evaluateTask({
      checkpoint: run.bestCheckpoint,
      samples: dataset.test,
      tokenizer,
      batchSize: 2 * Number(args.batch),
      image: { cacheDir: path.resolve(args.cache), memoryCacheMiB: 256 },
      ...(args['blind-image'] ? { blindImage: true } : {}),
    });
    console.log(`test (${dataset.test.length} samples, the best validation checkpoint): ${describeMetrics(test.metrics)}`);
    writeFileSync(path.join(outDir, 'test-metrics.json'), `${JSON.stringify(test.metrics, null, 2)}\n`);
    if (args.ledger !== undefined) {
      appendLedgerRecord(path.resolve(args.ledger), {
        ...ledgerBase,
        split: 'test',
        metrics: ledgerMetrics(test.metrics),
        date: new Date().toISOString(),
        wallMinutes: (performance.now() - started) / 60_000,
      });
    }
  }
}
console.log(`summary ${path.join(outDir, 'summary.json')}`);

function describeMetrics(metrics: TaskMetrics): string {
  const percent = (value: number): string => (value * 100).toFixed(1);
  switch (metrics.kind) {
    case 'vqa':
      return `overall ${percent(metrics.overall.accuracy)} | open ${percent(metrics.open.accuracy)} (${metrics.open.total}) | closed ${percent(metrics.closed.accuracy)} (${metrics.closed.total}) | outside vocabulary ${metrics.outsideVocabulary}`;
    case 'classification':
      return `accuracy ${percent(metrics.accuracy)} | macro-F1 ${percent(metrics.macroF1)}`;
    case 'retrieval':
      return (
        `mean recall ${percent(metrics.meanRecall)} | i→t R@1/5/10 ${percent(metrics.imageToText.r1)}/${percent(metrics.imageToText.r5)}/${percent(metrics.imageToText.r10)}` +
        ` | t→i ${percent(metrics.textToImage.r1)}/${percent(metrics.textToImage.r5)}/${percent(metrics.textToImage.r10)}` +
        ` | ${metrics.pairsScored} pairs re-ranked, ${(metrics.firstStageMs / 1000).toFixed(1)} + ${(metrics.rerankMs / 1000).toFixed(1)} s`
      );
  }
}

function ledgerMetrics(metrics: TaskMetrics): Record<string, number> {
  const percent = (value: number): number => Math.round(value * 1000) / 10;
  switch (metrics.kind) {
    case 'vqa':
      return { overall: percent(metrics.overall.accuracy), open: percent(metrics.open.accuracy), closed: percent(metrics.closed.accuracy) };
    case 'classification':
      return { accuracy: percent(metrics.accuracy), macroF1: percent(metrics.macroF1) };
    case 'retrieval':
      return {
        meanRecall: percent(metrics.meanRecall),
        'i2t R@10': percent(metrics.imageToText.r10),
        't2i R@10': percent(metrics.textToImage.r10),
      };
  }
}

function appendLedgerRecord(file: string, record: LedgerRecord): void {
  const line = ledgerLine(record); // checked before anything is written
  mkdirSync(path.dirname(file), { recursive: true });
  appendFileSync(file, line);
}

/** `encoderPresets.tiny`, with a frozen pre-trained stem (224 px RGB, one token per 32 px) when `--stem` is given. */
function scratchModelConfig(): UmdModelConfig {
  const tiny = encoderPresets.tiny;
  const dropout = args.dropout !== undefined ? { dropout: Number(args.dropout) } : {};
  const depth = args['vision-depth'] !== undefined ? { depth: Number(args['vision-depth']) } : {};
  if (args.stem === undefined) return { ...tiny, vision: { ...tiny.vision, ...dropout, ...depth } };
  if (args.stem !== 'mobilenet-v2') throw new Error(`finetune: --stem must be mobilenet-v2, got '${args.stem}'`);
  const stem = { kind: 'mobilenet-v2', layer: args['stem-layer'] as MobileNetV2Layer } as const;
  const { inputSize, stride } = visionStemSpec(stem); // one token per feature cell
  return { ...tiny, vision: { ...tiny.vision, imageSize: inputSize, patchSize: stride, channels: 3, stem, ...dropout, ...depth } };
}

function parseAnswerVocabulary(value: string): 'train' | 'all' {
  if (value !== 'train' && value !== 'all') throw new Error(`finetune: --answer-vocabulary must be train or all, got '${value}'`);
  return value;
}

function parseCarveBy(value: string): 'image' | 'sample' {
  if (value !== 'image' && value !== 'sample') throw new Error(`finetune: --carve-by must be image or sample, got '${value}'`);
  return value;
}

/** This script defaults to `mean` (the library to `cls`): with the MR-pre-trained `tiny` checkpoint it did better on VQA-RAD. */
function parsePooling(value: string): 'mean' | 'cls' {
  if (value !== 'mean' && value !== 'cls') throw new Error(`finetune: --pooling must be mean or cls, got '${value}'`);
  return value;
}
