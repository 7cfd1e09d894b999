import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@umd/core/testing';
import { generatePhantomDataset, trainWordPieceTokenizer, type CaptionSample, type WordPieceTokenizer } from '@umd/data';
import type { UmdModelConfig } from '@umd/encoders';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { microConfig, microPretrainConfig } from './__fixtures__/micro.js';
import { mrTerms } from './mr-pretrain-config.js';
import { runMrPretraining, type MrMetricsLine, type MrPretrainEvent, type RunMrPretrainingOptions } from './run-mr-pretraining.js';

async function readMetrics(dir: string): Promise<MrMetricsLine[]> {
  const text = await readFile(path.join(dir, 'metrics.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as MrMetricsLine);
}

describe('runMrPretraining (phantom captions, micro model)', () => {
  let root: string;
  let tokenizer: WordPieceTokenizer;
  let samples: readonly CaptionSample[];
  let model: UmdModelConfig;

  beforeAll(async () => {
    await useBackend('cpu');
    root = await mkdtemp(path.join(os.tmpdir(), 'mr-pretrain-run-'));
    samples = generatePhantomDataset({ seed: 3, counts: { train: 24, validate: 0, test: 0 }, size: 32, tasks: ['caption'] }).splits.train;
    // A small WordPiece vocabulary of the phantom captions keeps the micro model micro (bert-base-uncased: 30,522).
    const trained = await trainWordPieceTokenizer({
      corpus: samples.map((sample) => sample.caption),
      outputPath: path.join(root, 'tokenizer.json'),
      vocabSize: 120,
    });
    tokenizer = trained.tokenizer;
    model = { ...microConfig, text: { ...microConfig.text, vocabSize: trained.vocabSize } };
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const options = (outDir: string, overrides: Partial<RunMrPretrainingOptions> = {}): RunMrPretrainingOptions => ({
    model,
    config: microPretrainConfig(),
    samples,
    tokenizer,
    batchSize: 4,
    steps: 20,
    learningRate: { base: 2e-3, warmupSteps: 4 },
    seed: 11,
    outDir,
    checkpointEvery: 5,
    pictureEvery: 10,
    ...overrides,
  });

  it('writes every term per step, checkpoints and reconstruction pictures, and resumes exactly', async () => {
    const startTensors = tf.memory().numTensors;
    const whole = path.join(root, 'whole');
    const events: MrPretrainEvent[] = [];
    const run = await runMrPretraining(options(whole, { onEvent: (event) => events.push(event) }));
    expect(run).toMatchObject({ step: 20, reason: 'completed' });
    expect(tf.memory().numTensors).toBe(startTensors);

    const metrics = await readMetrics(whole);
    expect(metrics.map((line) => line.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (const line of metrics) {
      for (const term of mrTerms) expect(Number.isFinite(line[term])).toBe(true);
      expect(Number.isFinite(line.total) && line.lr >= 0 && line.ms > 0).toBe(true);
    }
    expect(metrics[0]!.lr).toBe(0); // warm-up starts at 0
    const stepEnds = events.filter((event) => event.type === 'step-end');
    expect(stepEnds).toHaveLength(20);
    expect(stepEnds[19]!.terms).toEqual(Object.fromEntries(mrTerms.map((term) => [term, metrics[19]![term]])));

    expect(await readdir(run.checkpointDir)).toEqual(['step-000010.safetensors', 'step-000015.safetensors', 'step-000020.safetensors']);
    expect(run.pictures.map((file) => path.basename(file))).toEqual(['step-000010.png', 'step-000020.png']);
    const picture = await sharp(run.pictures[1]!).metadata();
    expect([picture.width, picture.height, picture.format]).toEqual([3 * 16, 8 * 16, 'png']);

    // Interrupted after step 12 (a checkpoint is written on abort), then resumed: steps 13–20 match the whole run.
    const split = path.join(root, 'split');
    const controller = new AbortController();
    const first = await runMrPretraining(
      options(split, { onEvent: (event) => event.type === 'step-end' && event.step === 12 && controller.abort(), signal: controller.signal }),
    );
    expect(first).toMatchObject({ step: 12, reason: 'aborted' });
    const resumed: MrPretrainEvent[] = [];
    const second = await runMrPretraining(options(split, { resume: true, onEvent: (event) => resumed.push(event) }));
    expect(second).toMatchObject({ step: 20, reason: 'completed' });
    expect(resumed[0]).toMatchObject({ type: 'train-start', startStep: 12 });
    const splitMetrics = await readMetrics(split);
    expect(splitMetrics.map((line) => line.step)).toEqual(metrics.map((line) => line.step));
    const losses = (lines: MrMetricsLine[]): unknown[] => lines.map(({ ms: _ms, ...rest }) => rest);
    expect(losses(splitMetrics.slice(12))).toEqual(losses(metrics.slice(12)));
    expect(tf.memory().numTensors).toBe(startTensors);
  });
});
