import { readdir, readFile, rm, writeFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@umd/core/testing';
import { buildAnswerVocabulary, type CaptionSample, type VqaSample, type WordPieceTokenizer } from '@umd/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { microTaskConfig, phantomSplits, textTokenizer } from '../__fixtures__/phantom-fixtures.js';
import { evaluateTask } from '../evaluate-task.js';
import { runTaskTuning, type RunTaskTuningOptions } from '../run-task-tuning.js';
import { offeredAnswerClasses } from '../answer-choices.js';
import { exportModelBundle } from './export-model-bundle.js';
import { loadModelBundle } from './load-model-bundle.js';
import { ModelBundleError } from './model-bundle-error.js';
import { predictCaptionsWithBundle, predictWithBundle } from './predict-with-bundle.js';

describe('model bundles (phantom VQA, micro model)', () => {
  let root: string;
  let vqa: { train: readonly VqaSample[]; validate: readonly VqaSample[] };
  let tokenizer: WordPieceTokenizer;
  let checkpoint: string;
  let bundleDir: string;

  /** A micro VQA model tuned for two epochs on the phantom questions (seed, folder under root, extra options). */
  const tuneVqa = (seed: number, folder: string, extra: Partial<RunTaskTuningOptions>) =>
    runTaskTuning({
      task: { kind: 'vqa', answers: buildAnswerVocabulary({ train: vqa.train }).answers },
      train: vqa.train,
      validation: vqa.validate,
      tokenizer,
      modelConfig: microTaskConfig(tokenizer.vocabSize, { dim: 16, patchSize: 16 }),
      batchSize: 8,
      epochs: 2,
      learningRate: { base: 3e-3, multipliers: { heads: 1, fusion: 1 } },
      seed,
      outDir: path.join(root, folder),
      ...extra,
    });

  beforeAll(async () => {
    await useBackend('cpu');
    root = await mkdtemp(path.join(os.tmpdir(), 'tasks-bundle-'));
    vqa = phantomSplits('vqa', { train: 16, validate: 8 });
    tokenizer = textTokenizer([...vqa.train, ...vqa.validate].map((sample) => sample.question));
    const run = await tuneVqa(2, 'tune', { pooling: 'mean' });
    checkpoint = run.bestCheckpoint!;
    bundleDir = path.join(root, 'bundle');
    await exportModelBundle({
      checkpoint,
      tokenizer,
      to: bundleDir,
      card: { title: 'Phantom VQA (test)', sections: [{ heading: 'Data', body: 'Phantom scans.' }] },
    });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes weights, config, tokenizer, a model card and the checksums of each', async () => {
    expect((await readdir(bundleDir)).sort()).toEqual(['README.md', 'checksums.json', 'config.json', 'model.safetensors', 'tokenizer.json']);
    const checksums = JSON.parse(await readFile(path.join(bundleDir, 'checksums.json'), 'utf8'));
    expect(Object.keys(checksums.files).sort()).toEqual(['README.md', 'config.json', 'model.safetensors', 'tokenizer.json']);
    const config = JSON.parse(await readFile(path.join(bundleDir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ format: 'umd-ts-model-bundle', formatVersion: 1, pooling: 'mean', task: { kind: 'vqa' } });
    const card = await readFile(path.join(bundleDir, 'README.md'), 'utf8');
    expect(card).toContain('Research use only');
    expect(card).toContain('## Data\n\nPhantom scans.');
  });

  it('answers as the evaluation of the tuned checkpoint does, with probabilities, and frees every tensor', async () => {
    const evaluation = await evaluateTask({ checkpoint, samples: vqa.validate, tokenizer, batchSize: 4 });
    const before = tf.memory().numTensors;
    const bundle = await loadModelBundle(bundleDir);
    const predictions = await predictWithBundle(
      bundle,
      vqa.validate.map((sample) => ({ image: sample.image, text: sample.question })),
      { topK: 3 },
    );
    bundle.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(predictions.map((prediction) => prediction.ranked[0]!.name)).toEqual(
      evaluation.predictions.map((prediction) => (prediction as { prediction: string }).prediction),
    );
    for (const { ranked } of predictions) {
      expect(ranked).toHaveLength(3);
      expect(ranked[0]!.probability).toBeGreaterThanOrEqual(ranked[1]!.probability);
      expect(ranked.reduce((sum, entry) => sum + entry.probability, 0)).toBeLessThanOrEqual(1 + 1e-6);
    }
    expect(bundle.loadMs).toBeGreaterThan(0);
  });

  it('keeps an image-only head that blends into the prediction, and answers as the evaluation does', async () => {
    const run = await tuneVqa(3, 'tune-image-head', { imageHead: { blend: 0.5 } });
    const dir = path.join(root, 'bundle-image-head');
    await exportModelBundle({ checkpoint: run.bestCheckpoint!, tokenizer, to: dir, card: { title: 'Phantom VQA, image head (test)' } });
    const bundle = await loadModelBundle(dir);
    expect([...bundle.tuning.model.parameterMap().keys()].some((name) => name.startsWith('heads.imageClassifier.'))).toBe(true);
    expect(bundle.tuning.imageHead).toEqual({ weight: 1, blend: 0.5 });
    const predictions = await predictWithBundle(
      bundle,
      vqa.validate.map((sample) => ({ image: sample.image, text: sample.question })),
    );
    bundle.dispose();
    const evaluation = await evaluateTask({ checkpoint: run.bestCheckpoint!, samples: vqa.validate, tokenizer, batchSize: 4 });
    expect(predictions.map((prediction) => prediction.ranked[0]!.name)).toEqual(
      evaluation.predictions.map((prediction) => (prediction as { prediction: string }).prediction),
    );
  });

  it('exports a retrieval model that ranks a caption list (fused P(match) for the re-ranked, cosine for the rest)', async () => {
    const captions = phantomSplits('caption', { train: 8, validate: 6 }) as { train: readonly CaptionSample[]; validate: readonly CaptionSample[] };
    const captionTokenizer = textTokenizer([...captions.train, ...captions.validate].map((sample) => sample.caption));
    const run = await runTaskTuning({
      task: { kind: 'retrieval' },
      train: captions.train,
      validation: captions.validate,
      tokenizer: captionTokenizer,
      modelConfig: microTaskConfig(captionTokenizer.vocabSize, { dim: 16, patchSize: 16 }),
      batchSize: 4,
      steps: 2,
      learningRate: { base: 1e-3 },
      seed: 5,
      outDir: path.join(root, 'retrieval'),
      retrieval: { projectionDim: 8 },
      topK: 2,
    });
    const dir = path.join(root, 'retrieval-bundle');
    const exported = await exportModelBundle({
      checkpoint: run.bestCheckpoint!,
      tokenizer: captionTokenizer,
      to: dir,
      card: { title: 'Phantom retrieval (test)' },
    });
    expect(exported.config.task).toEqual({ kind: 'retrieval' });
    expect(await readFile(path.join(dir, 'README.md'), 'utf8')).toContain('--captions captions.txt');
    const before = tf.memory().numTensors;
    const bundle = await loadModelBundle(dir);
    try {
      const list = captions.validate.map((sample) => sample.caption.split(' ').slice(0, 12).join(' ')); // within the 24 positions
      const { ranked } = await predictCaptionsWithBundle(bundle, [captions.validate[0]!.image, captions.validate[1]!.image], list, {
        topK: list.length,
        rerank: 2,
      });
      expect(ranked).toHaveLength(2);
      for (const row of ranked) {
        expect(row.map((entry) => entry.index).sort()).toEqual(list.map((_, index) => index));
        // The re-ranked captions (each image's 2 best by cosine, and the captions whose 2 best images include it) come
        // first, with a probability; the rest follow by cosine, without one.
        const reranked = row.filter((entry) => entry.probability !== undefined);
        expect(reranked.length).toBeGreaterThanOrEqual(2);
        expect(row.slice(0, reranked.length)).toEqual(reranked);
        expect(reranked.every((entry) => entry.probability! >= 0 && entry.probability! <= 1)).toBe(true);
        for (let i = reranked.length + 1; i < row.length; i++) expect(row[i]!.cosine).toBeLessThanOrEqual(row[i - 1]!.cosine);
      }
      await expect(predictWithBundle(bundle, [{ image: captions.validate[0]!.image, text: 'x' }])).rejects.toThrow(/retrieval model: it ranks a caption list/);
      await expect(predictCaptionsWithBundle(bundle, [captions.validate[0]!.image], [])).rejects.toThrow(/caption list is empty/);
    } finally {
      bundle.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("with answerChoices, ranks the classes a question offers first, as the run's evaluation answers", async () => {
    const dir = path.join(root, 'choices');
    const exported = await exportModelBundle({ checkpoint, tokenizer, to: dir, card: { title: 'choices' }, answerChoices: true });
    expect(exported.config.answerChoices).toBe(true);
    const answers = exported.config.task.kind === 'vqa' ? exported.config.task.answers : [];
    const [a, b] = answers.filter((answer) => answer !== 'yes' && answer !== 'no' && /^[a-z]+$/.test(answer));
    const question = `Is it ${a} or ${b}?`;
    const offered = offeredAnswerClasses(question, answers).map((index) => answers[index]!);
    expect(offered).toEqual(expect.arrayContaining([a, b]));
    const inputs = [
      { image: vqa.validate[0]!.image, text: question },
      { image: vqa.validate[1]!.image, text: vqa.validate[1]!.question },
    ];
    const [plain, choosing] = [await loadModelBundle(bundleDir), await loadModelBundle(dir)];
    try {
      const [before, after] = [await predictWithBundle(plain, inputs, { topK: Infinity }), await predictWithBundle(choosing, inputs, { topK: Infinity })];
      const names = (ranked: readonly { name: string }[]) => ranked.map((entry) => entry.name);
      // the offered classes first, each group in the plain model's order; probabilities unchanged
      const plainOrder = names(before[0]!.ranked);
      expect(names(after[0]!.ranked)).toEqual([...plainOrder.filter((n) => offered.includes(n)), ...plainOrder.filter((n) => !offered.includes(n))]);
      expect(after[0]!.ranked.find((entry) => entry.name === a)!.probability).toBe(before[0]!.ranked.find((entry) => entry.name === a)!.probability);
      // a question without "or" is answered as by the plain bundle
      expect(after[1]!.ranked).toEqual(before[1]!.ranked);
    } finally {
      plain.dispose();
      choosing.dispose();
    }
  });

  it('stores float16 weights on request: half the bytes, the same answers to within 1e-3', async () => {
    const dir = path.join(root, 'half');
    const half = await exportModelBundle({ checkpoint, tokenizer, to: dir, card: { title: 'half' }, float16: true });
    expect(half.config.weightsDtype).toBe('float16');
    const full = JSON.parse(await readFile(path.join(bundleDir, 'config.json'), 'utf8')) as { weightsDtype: string };
    expect(full.weightsDtype).toBe('float32');
    const fullBytes = (await readFile(path.join(bundleDir, 'model.safetensors'))).byteLength;
    expect(half.sizes['model.safetensors']).toBeLessThan(0.6 * fullBytes);
    const inputs = vqa.validate.map((sample) => ({ image: sample.image, text: sample.question }));
    const [a, b] = [await loadModelBundle(bundleDir), await loadModelBundle(dir)];
    try {
      const [exact, rounded] = [await predictWithBundle(a, inputs, { topK: Infinity }), await predictWithBundle(b, inputs, { topK: Infinity })];
      exact.forEach((prediction, row) => {
        const other = new Map(rounded[row]!.ranked.map((entry) => [entry.name, entry.probability]));
        for (const entry of prediction.ranked) expect(Math.abs(entry.probability - other.get(entry.name)!)).toBeLessThan(1e-3);
      });
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('refuses a changed file, a missing file, a non-empty target and a question longer than the model reads', async () => {
    const copy = path.join(root, 'damaged');
    await exportModelBundle({ checkpoint, tokenizer, to: copy, card: { title: 'copy' } });
    await expect(exportModelBundle({ checkpoint, tokenizer, to: copy, card: { title: 'again' } })).rejects.toThrow(/is not empty/);
    const weights = path.join(copy, 'model.safetensors');
    const bytes = await readFile(weights);
    bytes[bytes.length - 2]! ^= 0x10;
    await writeFile(weights, bytes);
    await expect(loadModelBundle(copy)).rejects.toThrow(ModelBundleError);
    await expect(loadModelBundle(copy)).rejects.toThrow(`${weights}: SHA-256`);
    bytes[bytes.length - 2]! ^= 0x10; // mended
    await writeFile(weights, bytes);
    await rm(path.join(copy, 'tokenizer.json'));
    await expect(loadModelBundle(copy)).rejects.toThrow(/tokenizer\.json: missing/);

    const bundle = await loadModelBundle(bundleDir);
    try {
      const long = Array.from({ length: 200 }, () => 'lesion').join(' ');
      await expect(predictWithBundle(bundle, [{ image: vqa.validate[0]!.image, text: long }])).rejects.toThrow(/question is \d+ tokens .* at most \d+/);
    } finally {
      bundle.dispose();
    }
  });
});
