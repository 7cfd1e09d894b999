import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { saveCheckpoint, SeededRandom } from '@umd/core';
import { useBackend } from '@umd/core/testing';
import { createImagePipeline } from '@umd/data';
import { UmdModel } from '@umd/encoders';
import { beforeAll, describe, expect, it } from 'vitest';

import { microTaskConfig, phantomSplits, textTokenizer } from './__fixtures__/phantom-fixtures.js';
import { evaluateEnsemble } from './evaluate-ensemble.js';
import { evaluateTask, loadTaskTuning, retrievalScores } from './evaluate-task.js';
import { createTaskTuning } from './task-tuning.js';

describe('evaluateEnsemble', () => {
  beforeAll(() => useBackend('cpu'));

  const samples = phantomSplits('classification', { train: 0, validate: 12 }).validate;
  const tokenizer = textTokenizer(samples.map((sample) => sample.text));
  const config = microTaskConfig(tokenizer.vocabSize, { dim: 16, patchSize: 16 });
  const labels = ['normal', 'liver', 'heart', 'spleen', 'left lung'];
  const dir = mkdtempSync(path.join(tmpdir(), 'umd-ensemble-'));

  /** A random classification model saved as a tuned checkpoint, with `extra` in its stored config. */
  async function saved(seed: number, extra: Record<string, unknown> = {}, classes = labels): Promise<string> {
    const random = new SeededRandom(seed);
    const model = new UmdModel(config, random);
    const task = { kind: 'classification', labels: classes } as const;
    createTaskTuning({ model, task, random });
    const file = path.join(dir, `model-${seed}-${classes.length}.safetensors`);
    await saveCheckpoint(file, { weights: model.parameterMap(), metadata: { step: 1, config: { model: config, task, ...extra } } });
    model.dispose();
    return file;
  }

  it('averages the members’ probabilities: a model with itself predicts as it does alone; members read as they were tuned', async () => {
    const [a, b] = [await saved(1), await saved(2, { blindText: true })];
    const before = tf.memory().numTensors;
    const alone = await evaluateTask({ checkpoint: a, samples, tokenizer, batchSize: 5 });
    const twice = await evaluateEnsemble({ members: [{ checkpoint: a }, { checkpoint: a, weight: 3 }], samples, tokenizer, batchSize: 5 });
    expect(twice.predictions).toEqual(alone.predictions);
    expect(twice.metric).toBeCloseTo(alone.metric, 10);
    // A member that dominates by weight decides; the image-only member reads empty texts, as its checkpoint records.
    const imageOnly = await evaluateTask({ checkpoint: b, samples, tokenizer, batchSize: 5, blindText: true });
    const dominated = await evaluateEnsemble({ members: [{ checkpoint: a, weight: 1e-6 }, { checkpoint: b }], samples, tokenizer, batchSize: 5 });
    expect(dominated.predictions).toEqual(imageOnly.predictions);
    const asText = await evaluateEnsemble({
      members: [
        { checkpoint: a, weight: 1e-6 },
        { checkpoint: b, blindText: false },
      ],
      samples,
      tokenizer,
      batchSize: 5,
    });
    const withText = await evaluateTask({ checkpoint: b, samples, tokenizer, batchSize: 5 });
    expect(asText.predictions).toEqual(withText.predictions);
    expect(tf.memory().numTensors).toBe(before);
  });

  /** A random retrieval model (cosine ranking of mean-pooled tokens) saved as a tuned checkpoint. */
  async function savedRetrieval(seed: number, vocabSize: number): Promise<string> {
    const random = new SeededRandom(seed);
    const config = microTaskConfig(vocabSize, { dim: 16, patchSize: 16 });
    const model = new UmdModel(config, random);
    const task = { kind: 'retrieval' } as const;
    const retrieval = { projectionDim: 8 };
    createTaskTuning({ model, task, random, retrieval, pooling: 'mean' });
    const file = path.join(dir, `retrieval-${seed}.safetensors`);
    await saveCheckpoint(file, { weights: model.parameterMap(), metadata: { step: 1, config: { model: config, task, retrieval, pooling: 'mean' } } });
    model.dispose();
    return file;
  }

  it('ranks retrieval by the weighted mean of the members’ scores', async () => {
    const captions = phantomSplits('caption', { train: 0, validate: 10 }).validate;
    const captionTokenizer = textTokenizer(captions.map((sample) => sample.caption));
    const [a, b] = [await savedRetrieval(5, captionTokenizer.vocabSize), await savedRetrieval(6, captionTokenizer.vocabSize)];
    const before = tf.memory().numTensors;
    const options = { samples: captions, tokenizer: captionTokenizer, batchSize: 4, topK: 1 };
    const [alone, other] = [await evaluateTask({ checkpoint: a, ...options }), await evaluateTask({ checkpoint: b, ...options })];
    const twice = await evaluateEnsemble({ members: [{ checkpoint: a }, { checkpoint: a, weight: 2 }], ...options });
    expect(twice.predictions).toEqual(alone.predictions);
    expect(twice.metric).toBeCloseTo(alone.metric, 10);
    const dominated = await evaluateEnsemble({ members: [{ checkpoint: a, weight: 1e-6 }, { checkpoint: b }], ...options });
    expect(dominated.predictions).toEqual(other.predictions);
    // The equal mean: each caption's image ranked by the mean of the two members' scores, recomputed here.
    const both = await evaluateEnsemble({ members: [{ checkpoint: a }, { checkpoint: b }], ...options });
    const scores: Float32Array[] = [];
    for (const checkpoint of [a, b]) {
      const { tuning, imageNormalization } = await loadTaskTuning(checkpoint);
      const { imageSize: size, channels } = tuning.model.config.vision;
      const pipeline = createImagePipeline({ size, channels, crop: { kind: 'centre' }, ...(imageNormalization ? { normalization: imageNormalization } : {}) });
      scores.push((await retrievalScores(tuning, captions, { pipeline, tokenizer: captionTokenizer, batchSize: 4, topK: 1 })).scores);
      tuning.model.dispose();
    }
    const N = new Set(captions.map((sample) => sample.imageId)).size;
    const M = captions.length;
    const images = [...new Set(captions.map((sample) => sample.imageId))];
    const ranks = captions.map((sample, t) => {
      const mean = (i: number): number => (scores[0]![i * M + t]! + scores[1]![i * M + t]!) / 2;
      const own = images.indexOf(sample.imageId);
      return 1 + Array.from({ length: N }, (_, i) => i).filter((i) => i !== own && mean(i) >= mean(own)).length;
    });
    expect(both.predictions.map((prediction) => (prediction as { rank: number }).rank)).toEqual(ranks);
    expect(both.metrics.kind).toBe('retrieval');
    expect(tf.memory().numTensors).toBe(before);
    // A retrieval member beside a classification one is refused.
    await expect(evaluateEnsemble({ members: [{ checkpoint: a }, { checkpoint: await saved(7) }], ...options })).rejects.toThrow(/retrieval model/);
  });

  it('refuses fewer than two members, members of other classes and bad weights', async () => {
    const a = await saved(3);
    const other = await saved(4, {}, ['normal', 'liver', 'heart', 'spleen', 'kidney']);
    await expect(evaluateEnsemble({ members: [{ checkpoint: a }], samples, tokenizer })).rejects.toThrow(/members/);
    await expect(evaluateEnsemble({ members: [{ checkpoint: a }, { checkpoint: other }], samples, tokenizer })).rejects.toThrow(/classes/);
    await expect(evaluateEnsemble({ members: [{ checkpoint: a }, { checkpoint: a, weight: 0 }], samples, tokenizer })).rejects.toThrow(/weight/);
  });
});
