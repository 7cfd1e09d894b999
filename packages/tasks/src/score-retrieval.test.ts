import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, SeededRandom } from '@umd/core';
import { expectNoTensorLeak, useBackend } from '@umd/core/testing';
import { UmdModel } from '@umd/encoders';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { microTaskConfig, randomTaskBatch } from './__fixtures__/phantom-fixtures.js';
import { candidatePairs, combineScores, retrievalImageEmbeddings, retrievalTextEmbeddings, scoreRetrieval } from './score-retrieval.js';
import { createTaskTuning, type TaskTuning } from './task-tuning.js';

const vocabSize = 40;
const N = 5; // images
const M = 6; // captions (one image has two)
const T = 7;

describe('scoreRetrieval', () => {
  let tuning: TaskTuning;
  let images: tf.Tensor4D;
  let tokenIds: Int32Array;
  let attentionMask: Float32Array;

  beforeAll(async () => {
    await useBackend('cpu');
    const random = new SeededRandom(1);
    const model = new UmdModel(microTaskConfig(vocabSize, { dim: 16, patchSize: 16 }), random);
    tuning = createTaskTuning({ model, task: { kind: 'retrieval' }, random, retrieval: { projectionDim: 8 } });
    const imageBatch = randomTaskBatch(new SeededRandom(2), { batchSize: N, length: T, vocabSize });
    const textBatch = randomTaskBatch(new SeededRandom(3), { batchSize: M, length: T, vocabSize });
    images = imageBatch.images;
    textBatch.images.dispose();
    ({ tokenIds, attentionMask } = textBatch);
  });
  afterAll(() => {
    images.dispose();
    tuning.model.dispose();
  });

  /** Every pair through the full model (encoders + fusion + ITM), one forward pass per pair: the reference. */
  function fullyFusedScores(): Float32Array {
    return tf.tidy(() => {
      const imageRows = Array.from({ length: N * M }, (_, pair) => Math.floor(pair / M));
      const textRows = Array.from({ length: N * M }, (_, pair) => pair % M);
      const out = tuning.model.forward({
        images: tf.gather(images, imageRows),
        tokenIds: tf.gather(tf.tensor2d(tokenIds, [M, T], 'int32'), textRows),
        attentionMask: tf.gather(tf.tensor2d(attentionMask, [M, T]), textRows),
      });
      const logits = tuning.heads.itm!.forward(out.fusion.pooled);
      return Float32Array.from(tf.sub(tf.slice(logits, [0, 1], [-1, 1]), tf.slice(logits, [0, 0], [-1, 1])).dataSync());
    });
  }

  const texts = (): Parameters<typeof scoreRetrieval>[2] => ({
    tokenIds: { data: tokenIds, shape: [M, T] },
    attentionMask: { data: attentionMask, shape: [M, T] },
  });

  it('with topK covering every candidate, equals scoring every pair with the full fused model', async () => {
    const result = await scoreRetrieval(tuning, images, texts(), { topK: Math.max(N, M), batchSize: 4 });
    expect(result.pairsScored).toBe(N * M);
    expect([result.nImages, result.nTexts, result.scores.length]).toEqual([N, M, N * M]);
    const expected = fullyFusedScores();
    result.scores.forEach((score, pair) => expect(score, `pair ${pair}`).toBeCloseTo(expected[pair]!, 4));
    expect(result.firstStageMs).toBeGreaterThan(0);
    expect(result.rerankMs).toBeGreaterThan(0);
  });

  it('re-ranks only the top candidates of every image and caption, and ranks them above the rest', async () => {
    const topK = 2;
    const result = await scoreRetrieval(tuning, images, texts(), { topK });
    const pairs = candidatePairs(result.similarity, N, M, topK);
    expect(result.pairsScored).toBe(pairs.length);
    expect(pairs.length).toBeLessThan(N * M);
    const expected = fullyFusedScores();
    const reranked = new Set(pairs);
    const lowestFused = Math.min(...[...reranked].map((pair) => result.scores[pair]!));
    for (let pair = 0; pair < N * M; pair++) {
      if (reranked.has(pair)) expect(result.scores[pair]).toBeCloseTo(expected[pair]!, 4);
      else expect(result.scores[pair]).toBeLessThan(lowestFused);
    }
    // Every image's topK captions by first-stage cosine are among the re-ranked pairs.
    for (let i = 0; i < N; i++) {
      const row = Array.from({ length: M }, (_, j) => j).sort((a, b) => result.similarity[i * M + b]! - result.similarity[i * M + a]!);
      for (const j of row.slice(0, topK)) expect(reranked.has(i * M + j)).toBe(true);
    }
  });

  it('with views, ranks by the mean of each image’s view embeddings: a view identical to the image changes nothing', async () => {
    const plain = await scoreRetrieval(tuning, images, texts(), { topK: 2 });
    const same = await scoreRetrieval(tuning, images, texts(), { topK: 2, views: [images] });
    same.similarity.forEach((value, pair) => expect(value, `pair ${pair}`).toBeCloseTo(plain.similarity[pair]!, 5));
    const other = tf.tidy(() => tf.reverse(images, 1)); // another view of the same images
    const mixed = await scoreRetrieval(tuning, images, texts(), { topK: 2, views: [other] });
    const flipped = await scoreRetrieval(tuning, other, texts(), { topK: 2 });
    // normalise(a + b) · t = (a · t + b · t) / |a + b|: per image, one factor |a + b| ∈ (0, 2] links the three.
    for (let i = 0; i < N; i++) {
      const factors = Array.from({ length: M }, (_, j) => (plain.similarity[i * M + j]! + flipped.similarity[i * M + j]!) / mixed.similarity[i * M + j]!);
      for (const factor of factors) expect(factor, `image ${i}`).toBeCloseTo(factors[0]!, 3);
      expect(factors[0]).toBeGreaterThan(0);
      expect(factors[0]).toBeLessThanOrEqual(2 + 1e-5);
    }
    expect(Array.from(mixed.similarity)).not.toEqual(Array.from(plain.similarity));
    const short = tf.slice(other, 0, 2);
    await expect(scoreRetrieval(tuning, images, texts(), { views: [short] })).rejects.toThrow(/views/);
    short.dispose();
    await expectNoTensorLeak(() => scoreRetrieval(tuning, images, texts(), { topK: 2, views: [other] }).then(() => undefined));
    tf.dispose(other);
  });

  it('exports the first stage’s embeddings: their products are its cosines', async () => {
    const plain = await scoreRetrieval(tuning, images, texts(), { topK: 1 });
    const [image, text] = [retrievalImageEmbeddings(tuning, images, { batchSize: 2 }), retrievalTextEmbeddings(tuning, texts(), { batchSize: 4 })];
    expect(image.shape).toEqual([N, 8]);
    expect(text.shape).toEqual([M, 8]);
    const cosine = tf.matMul(image, text, false, true);
    Array.from(cosine.dataSync()).forEach((value, pair) => expect(value, `pair ${pair}`).toBeCloseTo(plain.similarity[pair]!, 5));
    tf.dispose([image, text, cosine]);
    await expectNoTensorLeak(() => tf.dispose([retrievalImageEmbeddings(tuning, images), retrievalTextEmbeddings(tuning, texts())]));
  });

  it('with a query bank, subtracts each image’s and each caption’s inverted-softmax term over the bank', async () => {
    const plain = await scoreRetrieval(tuning, images, texts(), { topK: 1 });
    // A bank of 3 images (the first three, reversed along H) and 4 captions (the last four).
    const bankImages = tf.tidy(() => tf.reverse(tf.slice(images, 0, 3), 1));
    const bankText = { tokenIds: { data: tokenIds.slice(2 * T), shape: [M - 2, T] }, attentionMask: { data: attentionMask.slice(2 * T), shape: [M - 2, T] } };
    const bank = { imageEmbeddings: retrievalImageEmbeddings(tuning, bankImages), textEmbeddings: retrievalTextEmbeddings(tuning, bankText), beta: 7 };
    const [image, text] = [retrievalImageEmbeddings(tuning, images), retrievalTextEmbeddings(tuning, texts())];
    const dot = (a: tf.Tensor, b: tf.Tensor): number[][] => tf.matMul(a, b, false, true).arraySync() as number[][];
    const [imageBankText, bankImageText] = [dot(image, bank.textEmbeddings), dot(bank.imageEmbeddings, text)]; // [N, 4], [3, M]
    const inverted = (scores: number[]): number => Math.log(scores.reduce((sum, score) => sum + Math.exp(7 * score), 0)) / 7;
    const normalised = await scoreRetrieval(tuning, images, texts(), { topK: 1, queryBank: bank });
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < M; j++) {
        const expected = plain.similarity[i * M + j]! - inverted(imageBankText[i]!) - inverted(bankImageText.map((row) => row[j]!));
        expect(normalised.similarity[i * M + j], `pair ${i}, ${j}`).toBeCloseTo(expected, 4);
      }
    }
    expect(Array.from(normalised.similarity)).not.toEqual(Array.from(plain.similarity));
    await expectNoTensorLeak(() => scoreRetrieval(tuning, images, texts(), { topK: 2, queryBank: bank }).then(() => undefined));
    await expect(scoreRetrieval(tuning, images, texts(), { queryBank: { ...bank, beta: 0 } })).rejects.toThrow(/beta/);
    const narrow = tf.slice(image, [0, 0], [-1, 4]) as tf.Tensor2D; // P = 4, not 8
    await expect(scoreRetrieval(tuning, images, texts(), { queryBank: { ...bank, textEmbeddings: narrow } })).rejects.toThrow(/textEmbeddings/);
    tf.dispose([bankImages, bank.imageEmbeddings, bank.textEmbeddings, image, text, narrow]);
  });

  it('leaves no tensor behind and restores training mode', async () => {
    tuning.model.train();
    await scoreRetrieval(tuning, images, texts(), { topK: 3 }); // warm-up: the ViT caches its sin-cos table once
    await expectNoTensorLeak(() => scoreRetrieval(tuning, images, texts(), { topK: 3 }).then(() => undefined));
    expect(tuning.model.training).toBe(true);
  });

  it('rejects a tuning without retrieval heads and invalid options', async () => {
    const random = new SeededRandom(4);
    const model = new UmdModel(microTaskConfig(vocabSize, { dim: 16, patchSize: 16 }), random);
    const vqa = createTaskTuning({ model, task: { kind: 'vqa', answers: ['yes', 'no'] }, random });
    await expect(scoreRetrieval(vqa, images, texts())).rejects.toThrow(InvalidConfigError);
    await expect(scoreRetrieval(tuning, images, texts(), { topK: 0 })).rejects.toThrow(/topK/);
    model.dispose();
  });
});

describe('candidatePairs and combineScores', () => {
  it('takes the union of each row’s and each column’s topK', () => {
    // 2 images × 3 captions; image 0 prefers caption 2, image 1 caption 0; caption 1 prefers image 1.
    const similarity = Float32Array.from([0.1, 0.2, 0.9, 0.8, 0.3, 0.0]);
    expect([...candidatePairs(similarity, 2, 3, 1)]).toEqual([2, 3, 4]); // (0,2), (1,0), (1,1)
  });

  it('keeps fused scores and shifts the rest below the lowest one, preserving their order', () => {
    const scores = combineScores(Float32Array.from([0.5, -0.2, 0.9, 0.1]), Int32Array.from([2]), Float32Array.from([-1.5]));
    expect(scores[2]).toBe(-1.5);
    for (const k of [0, 1, 3]) expect(scores[k]).toBeLessThan(-1.5);
    expect(scores[0]! > scores[3]! && scores[3]! > scores[1]!).toBe(true);
    // First-stage scores above 1 (cosine + attribute agreement) still land below every fused score.
    const wide = combineScores(Float32Array.from([2.4, 0.3, 1.7]), Int32Array.from([1]), Float32Array.from([0.2]));
    expect(wide[0]).toBeLessThan(0.2);
    expect(wide[2]).toBeLessThan(wide[0]!);
  });
});
