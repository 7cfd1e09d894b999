import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, ShapeMismatchError } from '@umd/core';
import type { ShapedArray } from '@umd/data';

import { poolUnimodal } from './pool-unimodal.js';
import type { TaskTuning } from './task-tuning.js';

/** The captions to rank: a padded batch, as tensors or as `tokenizer.encodeBatch(...)` arrays. */
export interface RetrievalTexts {
  /** [M, T] int32 token ids. */
  readonly tokenIds: tf.Tensor | ShapedArray;
  /** [M, T] 1 = real token, 0 = padding. */
  readonly attentionMask: tf.Tensor | ShapedArray;
}

/** Options of {@link scoreRetrieval}. */
export interface ScoreRetrievalOptions {
  /**
   * Candidates re-ranked by the fused ITM head: the topK captions of every image and the topK images of every caption
   * by first-stage cosine (their union). A value ≥ max(nImages, nTexts) scores every pair with the fused head.
   * Default 20.
   */
  readonly topK?: number;
  /** Images, captions or pairs per forward pass. Default 32. */
  readonly batchSize?: number;
  /**
   * More views of the same N images ([N, H, W, C] each, e.g. other crops): the first stage's image embedding is the
   * L2-normalised mean of the projected embeddings of `images` and these views; the fused re-ranking reads `images`.
   * Default none.
   */
  readonly views?: readonly tf.Tensor[];
  /**
   * Querybank normalisation (Bogolin et al., CVPR 2022) with an inverted softmax, against hubs: an image that many
   * captions rank high (or a caption many images rank high) is marked down. The bank is a set of queries the
   * evaluation does not score, e.g. the training split: its captions and its images, encoded as the scored ones are
   * ({@link retrievalImageEmbeddings}, {@link retrievalTextEmbeddings}). The first-stage score of image i and caption j becomes
   * s(i, j) − (1/β) log Σ_b exp(β s(i, bankText_b)) − (1/β) log Σ_b exp(β s(bankImage_b, j)). For ranking the
   * images of a caption only the image's term moves the order, and for the captions of an image only the caption's.
   * Default none.
   */
  readonly queryBank?: QueryBank;
}

/** The projected, L2-normalised embeddings of a query bank and the inverted softmax's β. */
export interface QueryBank {
  /** [B_images, P] bank images, each row unit-length (what {@link retrievalImageEmbeddings} returns). Borrowed. */
  readonly imageEmbeddings: tf.Tensor2D;
  /** [B_texts, P] bank captions, each row unit-length. Borrowed. */
  readonly textEmbeddings: tf.Tensor2D;
  /** Inverse temperature of the inverted softmax, > 0 (e.g. 20: the bank's near neighbours weigh most). */
  readonly beta: number;
}

/** The score of every image-caption pair and what it cost. */
export interface RetrievalScores {
  /**
   * [nImages, nTexts] row-major. Re-ranked pairs hold the fused ITM score (logit of "match" minus logit of "no
   * match"); the others hold the first-stage cosine shifted below every re-ranked score (their order is kept), so a
   * re-ranked candidate always ranks above a pair the first stage dropped.
   */
  readonly scores: Float32Array;
  /** [nImages, nTexts] row-major first-stage score of every pair: the cosine (+ λ · attribute agreement, see `retrieval.attributeAgreement`). */
  readonly similarity: Float32Array;
  readonly nImages: number;
  readonly nTexts: number;
  /** Both encoders over every image and caption, projections, cosine matrix and candidate selection. */
  readonly firstStageMs: number;
  /** Fusion + ITM head over the candidate pairs. */
  readonly rerankMs: number;
  /** Pairs the fused head scored. */
  readonly pairsScored: number;
  /** [pairsScored] those pairs, each as imageIndex · nTexts + textIndex. */
  readonly pairs: Int32Array;
}

/**
 * Two-stage image-text retrieval. Stage 1 encodes each image and each caption ONCE (unimodal encoders), projects their
 * CLS features (`heads.retrieval`) and takes the cosine of every pair: N + M encoder passes instead of N·M. Stage 2
 * runs only the fusion layers and the ITM head (`heads.itm`) on the candidate pairs, reusing the cached encoder
 * outputs, so a 200 × 200 test set costs about 2·200·topK fusion passes rather than 40,000 full passes.
 *
 * The model runs in evaluation mode. Reads results back (async); leaves no tensor behind. Inputs are borrowed.
 *
 * @param images [N, H, W, C] normalised images (NHWC)
 * @throws InvalidConfigError when the tuning is not for retrieval or an option is invalid; ShapeMismatchError for
 *   mismatched text arrays
 */
export async function scoreRetrieval(
  tuning: TaskTuning,
  images: tf.Tensor,
  texts: RetrievalTexts,
  options: ScoreRetrievalOptions = {},
): Promise<RetrievalScores> {
  const { model, heads } = tuning;
  if (!heads.itm || !heads.retrieval) throw new InvalidConfigError('task.kind', tuning.task.kind, "'retrieval'");
  if (tuning.retrieval.attributeAgreement > 0 && !heads.attributes) {
    throw new InvalidConfigError('retrieval.attributeAgreement', tuning.retrieval.attributeAgreement, '0 for a model without attribute heads');
  }
  const topK = options.topK ?? 20;
  const batchSize = options.batchSize ?? 32;
  if (!(Number.isInteger(topK) && topK >= 1)) throw new InvalidConfigError('topK', topK, 'an integer ≥ 1');
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new InvalidConfigError('batchSize', batchSize, 'an integer ≥ 1');
  if (images.rank !== 4) throw new ShapeMismatchError('scoreRetrieval(images)', ['N', 'H', 'W', 'C'], images.shape);
  if (options.queryBank) checkQueryBank(options.queryBank, heads.retrieval.projectionDim);
  const N = images.shape[0]!;
  const [M, T] = shapeOf(texts.tokenIds);
  const maskShape = shapeOf(texts.attentionMask);
  if (maskShape[0] !== M || maskShape[1] !== T) throw new ShapeMismatchError('scoreRetrieval(texts.attentionMask)', [M, T], maskShape);

  const wasTraining = model.training;
  model.eval();
  const owned: tf.Tensor[] = [];
  try {
    const started = performance.now();
    const tokenIds = toTensor(texts.tokenIds, 'int32', owned);
    const mask = toTensor(texts.attentionMask, 'float32', owned);
    // Stage 1: each image and caption encoded once; their CLS (or mean, by `tuning.pooling`) projected; cosine of every pair.
    const visionParts: tf.Tensor[] = [];
    const imageEmbeddings: tf.Tensor[] = [];
    const views = options.views ?? [];
    for (const view of views) {
      if (view.rank !== 4 || view.shape[0] !== N) throw new ShapeMismatchError('scoreRetrieval(views)', [N, 'H', 'W', 'C'], view.shape);
    }
    const embed = (vision: tf.Tensor): tf.Tensor2D => imageEmbedding(tuning, vision);
    for (let start = 0; start < N; start += batchSize) {
      const n = Math.min(batchSize, N - start);
      const vision = tf.tidy(() => model.vision.forward(tf.slice(images, [start, 0, 0, 0], [n, -1, -1, -1]))); // [n, 1 + L, Dv]
      visionParts.push(vision);
      imageEmbeddings.push(
        tf.tidy(() => {
          if (views.length === 0) return embed(vision);
          const each = [vision, ...views.map((view) => model.vision.forward(tf.slice(view, [start, 0, 0, 0], [n, -1, -1, -1])))].map(embed);
          const sum = tf.addN(each); // [n, P]; the mean's direction
          return tf.div(sum, tf.maximum(tf.norm(sum, 'euclidean', 1, true), 1e-12));
        }),
      );
    }
    const textParts: tf.Tensor[] = [];
    const textEmbeddings: tf.Tensor[] = [];
    for (let start = 0; start < M; start += batchSize) {
      const m = Math.min(batchSize, M - start);
      const text = tf.tidy(() => model.text.forward(tf.slice(tokenIds, [start, 0], [m, T]), { attentionMask: tf.slice(mask, [start, 0], [m, T]) })); // [m, T, Dt]
      textParts.push(text);
      textEmbeddings.push(tf.tidy(() => textEmbedding(tuning, text, tf.slice(mask, [start, 0], [m, T]))));
    }
    const vision = tf.concat(visionParts, 0); // [N, 1 + L, Dv]
    const text = tf.concat(textParts, 0); // [M, T, Dt]
    owned.push(vision, text);
    tf.dispose(visionParts);
    tf.dispose(textParts);
    const bank = options.queryBank;
    const firstStage = tf.tidy(() => {
      const [image, text] = [tf.concat(imageEmbeddings, 0) as tf.Tensor2D, tf.concat(textEmbeddings, 0) as tf.Tensor2D];
      const score = pairScores(tuning, image, text); // [N, M]
      if (!bank) return score;
      // The inverted softmax over the bank: −(1/β) logsumexp of β·score, per image over the bank's captions [N, 1]
      // and per caption over the bank's images [1, M].
      const imageHub = tf.div(tf.logSumExp(tf.mul(pairScores(tuning, image, bank.textEmbeddings), bank.beta), 1, true), bank.beta);
      const textHub = tf.div(tf.logSumExp(tf.mul(pairScores(tuning, bank.imageEmbeddings, text), bank.beta), 0, true), bank.beta);
      return tf.sub(tf.sub(score, imageHub), textHub);
    });
    tf.dispose([...imageEmbeddings, ...textEmbeddings]);
    const similarity = Float32Array.from(await firstStage.data());
    firstStage.dispose();
    const pairs = candidatePairs(similarity, N, M, topK);
    const firstStageMs = performance.now() - started;

    // Stage 2: fusion + ITM on the candidates, from the cached encoder outputs.
    const rerankStarted = performance.now();
    const fusedScores = new Float32Array(pairs.length);
    for (let start = 0; start < pairs.length; start += batchSize) {
      const chunk = pairs.subarray(start, Math.min(start + batchSize, pairs.length));
      const scored = tf.tidy('tasks/score-retrieval', () => {
        const imageIndex = tf.tensor1d(
          Int32Array.from(chunk, (pair) => Math.floor(pair / M)),
          'int32',
        );
        const textIndex = tf.tensor1d(
          Int32Array.from(chunk, (pair) => pair % M),
          'int32',
        );
        const fused = model.fusion.forward(tf.gather(text, textIndex), tf.gather(vision, imageIndex), {
          textMask: tf.gather(mask, textIndex),
          pooling: tuning.pooling,
        });
        const logits = heads.itm!.forward(fused.pooled); // [P, 2]
        return tf.sub(tf.slice(logits, [0, 1], [-1, 1]), tf.slice(logits, [0, 0], [-1, 1])); // [P, 1] log-odds of a match
      });
      fusedScores.set(await scored.data(), start);
      scored.dispose();
    }
    const rerankMs = performance.now() - rerankStarted;
    return {
      scores: combineScores(similarity, pairs, fusedScores),
      similarity,
      nImages: N,
      nTexts: M,
      firstStageMs,
      rerankMs,
      pairsScored: pairs.length,
      pairs,
    };
  } finally {
    tf.dispose(owned);
    model.train(wasTraining);
  }
}

/**
 * The projected, L2-normalised image embeddings that {@link scoreRetrieval}'s first stage compares (the centre view
 * only), e.g. a query bank's. The model runs in evaluation mode; the caller owns the result.
 *
 * @param images [N, H, W, C] normalised images (NHWC)
 * @returns [N, P]
 */
export function retrievalImageEmbeddings(tuning: TaskTuning, images: tf.Tensor, options: { readonly batchSize?: number } = {}): tf.Tensor2D {
  const batchSize = checkEmbeddingInputs(tuning, options);
  if (images.rank !== 4) throw new ShapeMismatchError('retrievalImageEmbeddings(images)', ['N', 'H', 'W', 'C'], images.shape);
  const N = images.shape[0]!;
  return inEvaluationMode(tuning, () =>
    joinRows(tuning.heads.retrieval!.projectionDim, (parts) => {
      for (let start = 0; start < N; start += batchSize) {
        const n = Math.min(batchSize, N - start);
        parts.push(tf.tidy(() => imageEmbedding(tuning, tuning.model.vision.forward(tf.slice(images, [start, 0, 0, 0], [n, -1, -1, -1])))));
      }
    }),
  );
}

/**
 * The projected, L2-normalised caption embeddings that {@link scoreRetrieval}'s first stage compares, e.g. a query
 * bank's. The model runs in evaluation mode; the caller owns the result.
 *
 * @returns [M, P]
 */
export function retrievalTextEmbeddings(tuning: TaskTuning, texts: RetrievalTexts, options: { readonly batchSize?: number } = {}): tf.Tensor2D {
  const batchSize = checkEmbeddingInputs(tuning, options);
  const [M, T] = shapeOf(texts.tokenIds);
  const maskShape = shapeOf(texts.attentionMask);
  if (maskShape[0] !== M || maskShape[1] !== T) throw new ShapeMismatchError('retrievalTextEmbeddings(texts.attentionMask)', [M, T], maskShape);
  const owned: tf.Tensor[] = [];
  try {
    const tokenIds = toTensor(texts.tokenIds, 'int32', owned);
    const mask = toTensor(texts.attentionMask, 'float32', owned);
    return inEvaluationMode(tuning, () =>
      joinRows(tuning.heads.retrieval!.projectionDim, (parts) => {
        for (let start = 0; start < M; start += batchSize) {
          const m = Math.min(batchSize, M - start);
          parts.push(
            tf.tidy(() => {
              const textMask = tf.slice(mask, [start, 0], [m, T]);
              return textEmbedding(tuning, tuning.model.text.forward(tf.slice(tokenIds, [start, 0], [m, T]), { attentionMask: textMask }), textMask);
            }),
          );
        }
      }),
    );
  } finally {
    tf.dispose(owned);
  }
}

function checkEmbeddingInputs(tuning: TaskTuning, options: { readonly batchSize?: number }): number {
  if (!tuning.heads.retrieval) throw new InvalidConfigError('task.kind', tuning.task.kind, "'retrieval'");
  const batchSize = options.batchSize ?? 32;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new InvalidConfigError('batchSize', batchSize, 'an integer ≥ 1');
  return batchSize;
}

function inEvaluationMode<T>(tuning: TaskTuning, run: () => T): T {
  const wasTraining = tuning.model.training;
  tuning.model.eval();
  try {
    return run();
  } finally {
    tuning.model.train(wasTraining);
  }
}

/** The rows `fill` pushes, as one [Σ rows, P] tensor; the parts are disposed, also when `fill` throws. */
function joinRows(P: number, fill: (parts: tf.Tensor[]) => void): tf.Tensor2D {
  const parts: tf.Tensor[] = [];
  try {
    fill(parts);
    return (parts.length ? tf.concat(parts, 0) : tf.zeros([0, P])) as tf.Tensor2D;
  } finally {
    tf.dispose(parts);
  }
}

/** [n, P] projected image embedding of encoder output [n, 1 + L, Dv]. */
function imageEmbedding(tuning: TaskTuning, vision: tf.Tensor): tf.Tensor2D {
  const n = vision.shape[0]!;
  return tuning.heads.retrieval!.forward(poolUnimodal(vision as tf.Tensor3D, tuning.pooling), tf.zeros([n, tuning.model.config.text.dim])).image;
}

/** [m, P] projected caption embedding of encoder output [m, T, Dt] with its mask [m, T]. */
function textEmbedding(tuning: TaskTuning, text: tf.Tensor, mask: tf.Tensor): tf.Tensor2D {
  const m = text.shape[0]!;
  return tuning.heads.retrieval!.forward(tf.zeros([m, tuning.model.config.vision.dim]), poolUnimodal(text as tf.Tensor3D, tuning.pooling, mask)).text;
}

/**
 * [A, B] first-stage score of image embeddings [A, P] against caption embeddings [B, P]: the cosine, plus
 * λ Σ_f P(image has value c of f) · P(caption has c) over the attribute fields when `retrieval.attributeAgreement` λ > 0.
 */
function pairScores(tuning: TaskTuning, image: tf.Tensor2D, text: tf.Tensor2D): tf.Tensor2D {
  const score = tf.matMul(image, text, false, true) as tf.Tensor2D;
  const agreement = tuning.retrieval.attributeAgreement;
  const attributes = tuning.heads.attributes;
  if (!(agreement > 0 && attributes)) return score;
  const [imageLogits, textLogits] = [attributes.forward(image), attributes.forward(text)];
  const shared = imageLogits.map((logits, f) => tf.matMul(tf.softmax(logits), tf.softmax(textLogits[f]!), false, true));
  return tf.add(score, tf.mul(tf.addN(shared), agreement)) as tf.Tensor2D;
}

function checkQueryBank(bank: QueryBank, P: number): void {
  if (!(Number.isFinite(bank.beta) && bank.beta > 0)) throw new InvalidConfigError('queryBank.beta', bank.beta, 'a number > 0');
  for (const [field, embeddings] of [
    ['queryBank.imageEmbeddings', bank.imageEmbeddings],
    ['queryBank.textEmbeddings', bank.textEmbeddings],
  ] as const) {
    if (embeddings.rank !== 2 || embeddings.shape[1] !== P || embeddings.shape[0] === 0) {
      throw new ShapeMismatchError(`scoreRetrieval(${field})`, ['B ≥ 1', P], embeddings.shape);
    }
  }
}

/**
 * The pairs to re-rank, as flat indices i·M + j in increasing order: the union of each image's topK captions and each
 * caption's topK images by `similarity` [N·M]. Pure.
 */
export function candidatePairs(similarity: Float32Array, nImages: number, nTexts: number, topK: number): Int32Array {
  const N = nImages;
  const M = nTexts;
  const chosen = new Uint8Array(N * M);
  const top = (count: number, score: (k: number) => number, mark: (k: number) => void): void => {
    const order = Array.from({ length: count }, (_, k) => k).sort((a, b) => score(b) - score(a) || a - b);
    for (const k of order.slice(0, topK)) mark(k);
  };
  for (let i = 0; i < N; i++)
    top(
      M,
      (j) => similarity[i * M + j]!,
      (j) => (chosen[i * M + j] = 1),
    );
  for (let j = 0; j < M; j++)
    top(
      N,
      (i) => similarity[i * M + j]!,
      (i) => (chosen[i * M + j] = 1),
    );
  const pairs: number[] = [];
  chosen.forEach((flag, index) => flag === 1 && pairs.push(index));
  return Int32Array.from(pairs);
}

/**
 * Fused scores where re-ranked, first-stage scores elsewhere shifted to lie strictly below the lowest fused score (by
 * at least 1, whatever their range: the cosine in [−1, 1], or more with the attribute agreement). Pure.
 */
export function combineScores(similarity: Float32Array, pairs: Int32Array, fused: Float32Array): Float32Array {
  const lowest = fused.reduce((min, value) => Math.min(min, value), Infinity);
  const highest = similarity.reduce((max, value) => Math.max(max, value), -Infinity);
  const offset = (Number.isFinite(lowest) ? lowest : 0) - 1 - (Number.isFinite(highest) ? highest : 0); // every shifted score ≤ lowest − 1
  const scores = Float32Array.from(similarity, (value) => value + offset);
  pairs.forEach((pair, k) => (scores[pair] = fused[k]!));
  return scores;
}

function shapeOf(values: tf.Tensor | ShapedArray): [number, number] {
  const shape = values instanceof tf.Tensor ? values.shape : values.shape;
  if (shape.length !== 2) throw new ShapeMismatchError('scoreRetrieval(texts)', ['M', 'T'], [...shape]);
  return [shape[0]!, shape[1]!];
}

function toTensor(values: tf.Tensor | ShapedArray, dtype: 'int32' | 'float32', owned: tf.Tensor[]): tf.Tensor2D {
  if (values instanceof tf.Tensor && values.dtype === dtype) return values as tf.Tensor2D;
  const shape: [number, number] = [values.shape[0]!, values.shape[1]!];
  const tensor =
    values instanceof tf.Tensor
      ? tf.cast(values, dtype)
      : tf.tensor2d(dtype === 'int32' ? Int32Array.from(values.data) : Float32Array.from(values.data), shape, dtype);
  owned.push(tensor);
  return tensor as tf.Tensor2D;
}
