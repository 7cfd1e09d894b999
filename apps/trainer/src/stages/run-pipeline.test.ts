import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@umd/core/testing';
import type { VqaSample } from '@umd/data';
import { evaluateEnsemble, loadModelBundle, predictWithBundle } from '@umd/tasks';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { exportRun } from '../bundle/export-run.js';
import { predictBatch } from '../bundle/predict-batch.js';
import { parsePipelineConfig } from '../config/load-pipeline-config.js';
import type { PipelineConfig } from '../config/pipeline-config-schema.js';
import { loadTaskData } from '../datasets.js';
import { StageConfigMismatchError } from '../errors/stage-config-mismatch-error.js';
import { StageInputError } from '../errors/stage-input-error.js';
import { silentReporter, type ProgressReporter } from '../progress/progress-reporter.js';
import { readPipelineState } from './pipeline-state.js';
import type { EvaluateResult } from './run-evaluate-stage.js';
import type { FinetuneResult } from './run-finetune-stage.js';
import { runPipeline } from './run-pipeline.js';
import { createStageContext } from './stage-context.js';
import type { PretrainResult } from './run-pretrain-stage.js';

/** Every stage at test size: 32 px phantom scans in 8 px patches, width 16, one block each, a trained 150-piece vocabulary. */
function microConfig(): PipelineConfig {
  const block = { dim: 16, depth: 1, heads: 2, mlpDim: 32 };
  return parsePipelineConfig({
    name: 'micro',
    seed: 1,
    model: {
      overrides: { vision: { imageSize: 32, patchSize: 8, ...block }, text: { maxPositions: 24, ...block }, fusion: block },
      tokenizer: 'trained',
      tokenizerVocabSize: 150,
    },
    data: { imageCache: null, memoryCacheMiB: 16, phantom: { trainImages: 8, validateImages: 4, testImages: 4, size: 32 } },
    pretrain: { steps: 4, batchSize: 4, checkpointEvery: 2, pictureEvery: 4 },
    calibrate: { steps: 2, batchSize: 4, regularizer: { enabled: false, decaySteps: 5 } },
    finetune: { epochs: 1, batchSize: 8, gmCoord: { enabled: true } },
    evaluate: { bootstrapResamples: 50 },
  });
}

describe('runPipeline (phantom VQA, micro model)', () => {
  let root: string;
  let outDir: string;
  const config = microConfig();

  beforeAll(async () => {
    await useBackend('wasm'); // the pipeline as users run it (and about twice as fast as cpu here)
    root = await mkdtemp(path.join(os.tmpdir(), 'trainer-pipeline-'));
    outDir = path.join(root, 'run');
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('runs pretrain → calibrate → finetune → evaluate, records each stage and writes the report', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const run = await runPipeline({ config, outDir });
    expect(tf.memory().numTensors).toBe(tensorsBefore); // every stage frees its models
    expect(run.outcomes.map((outcome) => [outcome.stage, outcome.status])).toEqual([
      ['pretrain', 'complete'],
      ['calibrate', 'complete'],
      ['finetune', 'complete'],
      ['evaluate', 'complete'],
    ]);
    expect(run.abortedAt).toBeUndefined();

    const state = await readPipelineState(outDir);
    expect(Object.values(state!.stages).map((record) => record.status)).toEqual(['complete', 'complete', 'complete', 'complete']);
    const pretrain = state!.stages.pretrain!.result as PretrainResult;
    expect(pretrain.steps).toBe(4);
    const finetune = state!.stages.finetune!.result as FinetuneResult;
    expect(finetune).toMatchObject({ start: 'calibrate', regularizer: false, coordination: 'finetune/coordination.jsonl' });
    expect(existsSync(path.join(outDir, finetune.checkpoint!))).toBe(true);

    const evaluate = state!.stages.evaluate!.result as EvaluateResult;
    expect(evaluate.splits.map((split) => [split.split, split.samples])).toEqual([
      ['validate', expect.any(Number)],
      ['test', expect.any(Number)],
    ]);
    for (const split of evaluate.splits) {
      const overall = split.metrics['overall']!;
      expect(overall.value).toBeGreaterThanOrEqual(0);
      expect(overall.value).toBeLessThanOrEqual(1);
      expect(overall.low!).toBeLessThanOrEqual(overall.value);
      expect(overall.high!).toBeGreaterThanOrEqual(overall.value);
      expect(split.floor.value).toBeGreaterThan(0);
      const predictions = (await readFile(path.join(outDir, split.predictions), 'utf8')).trim().split('\n');
      expect(predictions).toHaveLength(split.samples);
    }

    expect(run.report.headline).toHaveLength(2);
    expect(run.report.headline[1]).toMatch(/^test overall: \d+\.\d% \(95% CI \d+\.\d–\d+\.\d\); floor \d+\.\d% \(question-only majority/);
    const report = await readFile(run.report.reportPath, 'utf8');
    expect(report).toContain('## Headline');
    expect(report).toMatch(/\| test +\| overall/);
    for (const file of ['pretrain-loss.svg', 'calibrate-loss.svg', 'finetune-loss.svg', 'gm-coord.svg', 'reconstruction.png', 'report.json']) {
      expect(existsSync(path.join(outDir, 'report', file)), file).toBe(true);
      expect(report.includes(file) || file === 'report.json').toBe(true);
    }
  });

  it('skips finished stages with --resume, leaving their outputs untouched', async () => {
    const best = path.join(outDir, 'finetune', 'best.safetensors');
    const before = (await stat(best)).mtimeMs;
    const run = await runPipeline({ config, outDir, resume: true });
    expect(run.outcomes.map((outcome) => outcome.status)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    expect((await stat(best)).mtimeMs).toBe(before);
    expect(run.report.headline).toHaveLength(2);
  });

  it("exports the tuned model as a bundle whose answers on the test scans are the evaluate stage's", async () => {
    const bundleDir = path.join(root, 'bundle');
    const exported = await exportRun({ run: outDir, to: bundleDir });
    expect(exported.config.task.kind).toBe('vqa');
    const card = await readFile(path.join(bundleDir, 'README.md'), 'utf8');
    expect(card).toMatch(/## Evaluation\n\n\| split \| samples \| metric \| value \(95% CI\) \| text-only floor \|/);
    expect(card).toMatch(/\| test \| \d+ \| overall \| \d+\.\d% \(\d+\.\d%–\d+\.\d%\) \| \d+\.\d% \(question-only majority/);
    const test = (await loadTaskData(config, undefined)).test as readonly VqaSample[];
    const evaluated = (await readFile(path.join(outDir, 'evaluate', 'predictions-test.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; prediction: string });
    const bundle = await loadModelBundle(bundleDir);
    try {
      const answers = await predictWithBundle(
        bundle,
        test.map((sample) => ({ image: sample.image, text: sample.question })),
        { topK: 1 },
      );
      expect(answers.map((answer) => answer.ranked[0]!.name)).toEqual(test.map((sample) => evaluated.find((line) => line.id === sample.id)!.prediction));
    } finally {
      bundle.dispose();
    }

    // Batch mode: a JSON lines file of rows; a row whose image is missing is answered with its error, not dropped.
    const first = test[0]!;
    if (first.image.kind !== 'pixels') throw new Error('phantom images are in memory');
    await sharp(first.image.data, { raw: { width: first.image.width, height: first.image.height, channels: first.image.channels } })
      .png()
      .toFile(path.join(root, 'scan.png'));
    await writeFile(
      path.join(root, 'rows.jsonl'),
      `${JSON.stringify({ image: 'scan.png', question: first.question })}\n${JSON.stringify({ image: 'gone.png', question: 'Is it normal?' })}\n`,
    );
    const out = path.join(root, 'answers.jsonl');
    const summary = await predictBatch({ model: bundleDir, batch: path.join(root, 'rows.jsonl'), out, topK: 2, progress: silentReporter });
    expect(summary).toMatchObject({ rows: 2, answered: 1, failed: 1 });
    const lines = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { line: number; answers?: unknown[]; error?: string });
    expect(lines[0]).toMatchObject({ line: 1, answers: [expect.objectContaining({ probability: expect.any(Number) }), expect.anything()] });
    expect(lines[1]).toMatchObject({ line: 2, error: expect.stringContaining("gone.png' (missing)") });
  });

  it('refuses to resume with changed settings, naming the key', async () => {
    const changed = { ...config, finetune: { ...config.finetune, epochs: 2 } };
    const attempt = runPipeline({ config: changed, outDir, resume: true });
    await expect(attempt).rejects.toThrow(StageConfigMismatchError);
    await expect(runPipeline({ config: changed, outDir, resume: true })).rejects.toThrow('finetune.epochs: 1 -> 2');
  });

  it('stops at an abort with a checkpoint, then --resume continues the stage from it', async () => {
    const dir = path.join(root, 'aborted');
    const controller = new AbortController();
    const progress: ProgressReporter = { ...silentReporter, update: (value) => (value >= 2 ? controller.abort() : undefined) };
    const stopped = await runPipeline({ config, outDir: dir, signal: controller.signal, progress });
    expect(stopped.abortedAt).toBe('pretrain');
    expect(stopped.outcomes.map((outcome) => [outcome.stage, outcome.status])).toEqual([['pretrain', 'aborted']]);
    expect((stopped.outcomes[0]!.result as PretrainResult).steps).toBe(2);

    const resumed = await runPipeline({ config, outDir: dir, resume: true, stages: ['pretrain'] });
    expect(resumed.outcomes.map((outcome) => [outcome.stage, outcome.status])).toEqual([['pretrain', 'complete']]);
    expect((resumed.outcomes[0]!.result as PretrainResult).steps).toBe(4);
    const lines = (await readFile(path.join(dir, 'pretrain', 'metrics.jsonl'), 'utf8')).trim().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as { step: number }).step)).toEqual([1, 2, 3, 4]);
  });

  it('tunes a seed ensemble (finetune.members 2) and scores the mean of its members', async () => {
    const ensemble = parsePipelineConfig({
      ...config,
      stages: ['finetune', 'evaluate'],
      finetune: { ...config.finetune, members: 2, gmCoord: { enabled: false } },
    });
    const dir = path.join(root, 'ensemble');
    const tensorsBefore = tf.memory().numTensors;
    const run = await runPipeline({ config: ensemble, outDir: dir });
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(await readFile(run.report.reportPath, 'utf8')).toMatch(/a seed ensemble of 2 \(member seed 1001: best \d+\.\d% at epoch 1\)/);
    const state = await readPipelineState(dir);
    const finetune = state!.stages.finetune!.result as FinetuneResult;
    expect(finetune.members).toHaveLength(1);
    expect(finetune.members![0]).toMatchObject({ seed: ensemble.seed + 1000, checkpoint: 'finetune/member-1/best.safetensors' });
    expect(finetune.members![0]!.history).toHaveLength(1);
    const evaluate = state!.stages.evaluate!.result as EvaluateResult;
    expect(evaluate.members).toEqual([finetune.checkpoint, finetune.members![0]!.checkpoint]);
    // The recorded scores are the ensemble's: the same as evaluateEnsemble of the two checkpoints, called here.
    const context = createStageContext({ config: ensemble, outDir: dir });
    const [data, tokenizer] = [await context.taskData(), await context.tokenizer()];
    const direct = await evaluateEnsemble({
      members: evaluate.members!.map((member) => ({ checkpoint: path.join(dir, member) })),
      samples: data.validation,
      tokenizer,
      batchSize: ensemble.finetune.batchSize,
      image: context.image,
    });
    const validate = evaluate.splits.find((split) => split.split === 'validate')!;
    expect(validate.metrics.overall!.value).toBeCloseTo(direct.metric, 10);
    // A bundle holds one model: the card says it is the first member and that the scores are the ensemble's.
    await exportRun({ run: dir, to: path.join(root, 'ensemble-bundle') });
    const card = await readFile(path.join(root, 'ensemble-bundle', 'README.md'), 'utf8');
    expect(card).toContain("this bundle holds the first of the run's 2 ensemble members");
  });

  it('names the stage to run first when an input is missing', async () => {
    await expect(runPipeline({ config, outDir: path.join(root, 'empty'), stages: ['evaluate'] })).rejects.toThrow(StageInputError);
    await expect(runPipeline({ config, outDir: path.join(root, 'empty'), stages: ['evaluate'] })).rejects.toThrow("Run 'umd-train finetune'");
  });
});
