import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@umd/core';
import { normalizeImage, imageNormalizations, type VqaSample } from '@umd/data';
import { useBackend } from '@umd/core/testing';
import { UmdModel } from '@umd/encoders';
import { beforeAll, describe, expect, it } from 'vitest';

import { microTaskConfig, phantomSplits, randomTaskBatch, textTokenizer } from './__fixtures__/phantom-fixtures.js';
import { taskLogits } from './predict-task.js';
import { relevanceMap } from './relevance-map.js';
import { createTaskTuning } from './task-tuning.js';

describe('relevanceMap (gradient × input over patches)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('gives one finite value per patch and sample, depends on the class explained, and leaves no tensor behind', () => {
    const random = new SeededRandom(3);
    const tokenizer = textTokenizer(['a b c']);
    const model = new UmdModel(microTaskConfig(tokenizer.vocabSize), random);
    const tuning = createTaskTuning({ model, task: { kind: 'classification', labels: ['a', 'b', 'c'] }, random, pooling: 'mean' });
    const batch = randomTaskBatch(random, { batchSize: 2, length: 6, vocabSize: tokenizer.vocabSize, classes: 3 });
    relevanceMap(tuning, batch); // the first forward pass caches the position table
    const before = tf.memory().numTensors;
    const map = relevanceMap(tuning, batch);
    expect(tf.memory().numTensors).toBe(before);
    expect(map.grid).toEqual([4, 4]);
    expect(map.values).toHaveLength(2 * 16);
    expect(Array.from(map.values).every(Number.isFinite)).toBe(true);
    expect(Array.from(map.values).some((value) => value !== 0)).toBe(true);
    // Explaining another class gives another map.
    const other = relevanceMap(
      tuning,
      batch,
      Int32Array.from(map.classes, (c) => (c + 1) % 3),
    );
    expect(Array.from(other.values)).not.toEqual(Array.from(map.values));
    expect(() => relevanceMap(tuning, batch, new Int32Array(3))).toThrow(/classes/);
    batch.images.dispose();
    model.dispose();
  });

  it('tracks what the model uses: on phantom scans, blanking the most relevant patch moves the logit more than the least', () => {
    // Gradient × input of a patch is the first-order change of the logit when that patch's tokens are zeroed, so the
    // map's order must show in real deletions, and its raster order must be the image's (row by row from the top left).
    const samples = phantomSplits('vqa', { train: 5, validate: 0 }).train as readonly VqaSample[];
    const tokenizer = textTokenizer(samples.map((sample) => sample.question));
    const random = new SeededRandom(11);
    const model = new UmdModel(microTaskConfig(tokenizer.vocabSize), random);
    const tuning = createTaskTuning({ model, task: { kind: 'vqa', answers: ['yes', 'no', 'ct', 'mri'] }, random, pooling: 'mean' });
    const B = samples.length;
    const pixels = new Float32Array(B * 32 * 32);
    samples.forEach((sample, b) => {
      if (sample.image.kind !== 'pixels') throw new Error('phantom scans are in-memory');
      pixels.set(normalizeImage({ ...sample.image, channels: 1 }, imageNormalizations.grey).data, b * 32 * 32);
    });
    const images = tf.tensor4d(pixels, [B, 32, 32, 1]);
    const { inputIds, attentionMask, wordIds } = tokenizer.encodeBatch(
      samples.map((sample) => sample.question),
      { maxLength: 24 },
    );
    const batch = { images, tokenIds: inputIds.data, attentionMask: attentionMask.data, wordIds: wordIds.data };
    const T = inputIds.shape[1]!;
    const map = relevanceMap(tuning, batch);
    const logitOf = (tokens: tf.Tensor, b: number): number =>
      tf.tidy(() => {
        const out = model.forward({
          images: tf.slice(images, [b, 0, 0, 0], [1, -1, -1, -1]),
          patchTokens: tokens,
          tokenIds: tf.tensor2d(inputIds.data.subarray(b * T, (b + 1) * T), [1, T], 'int32'),
          attentionMask: tf.tensor2d(Float32Array.from(attentionMask.data.subarray(b * T, (b + 1) * T)), [1, T]),
          pooling: 'mean',
        });
        return tuning.classify!(out.fusion.pooled).dataSync()[map.classes[b]!]!;
      });
    model.eval();
    const tokens = model.vision.patchTokens(images); // [B, 16, 64]
    let largerDrop = 0;
    for (let b = 0; b < B; b++) {
      const values = Array.from(map.values.subarray(b * 16, (b + 1) * 16));
      const top = values.indexOf(Math.max(...values));
      const bottom = values.indexOf(Math.min(...values));
      const own = tf.slice(tokens, [b, 0, 0], [1, -1, -1]);
      const without = (patch: number): tf.Tensor => tf.tidy(() => tf.mul(own, tf.reshape(tf.sub(1, tf.oneHot(tf.tensor1d([patch], 'int32'), 16)), [1, 16, 1])));
      const full = logitOf(own, b);
      const [noTop, noBottom] = [without(top), without(bottom)];
      if (full - logitOf(noTop, b) > full - logitOf(noBottom, b)) largerDrop++;
      tf.dispose([own, noTop, noBottom]);
    }
    // First order is not exact in a non-linear model: most samples, not all (a map in random order: half).
    expect(largerDrop / B).toBeGreaterThan(0.8);
    // Raster order: changing the pixels of patch (row 2, column 1) changes token 2·4 + 1 and no other.
    const edited = pixels.slice(0, 32 * 32);
    for (let y = 16; y < 24; y++) for (let x = 8; x < 16; x++) edited[y * 32 + x] = 3;
    const [a, c] = [tf.tensor4d(pixels.slice(0, 32 * 32), [1, 32, 32, 1]), tf.tensor4d(edited, [1, 32, 32, 1])];
    const difference = tf.tidy(() => tf.sum(tf.abs(tf.sub(model.vision.patchTokens(c), model.vision.patchTokens(a))), 2).dataSync());
    expect(Array.from(difference, (value, index) => (value > 0 ? index : -1)).filter((index) => index >= 0)).toEqual([9]);
    expect(taskLogits(tuning, batch).shape).toEqual([B, 4]);
    tf.dispose([a, c, tokens, images]);
    model.dispose();
  });
});
