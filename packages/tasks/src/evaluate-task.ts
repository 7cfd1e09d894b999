import * as tf from '@tensorflow/tfjs-core';
import {
  CheckpointMismatchError,
  InvalidConfigError,
  SeededRandom,
  assignWeights,
  readCheckpoint,
  type CheckpointMetadata,
  type LoadedCheckpoint,
  type TensorRecord,
} from '@umd/core';
import {
  createBatchLoader,
  createImagePipeline,
  type CaptionSample,
  type ImageCrop,
  type ImageNormalization,
  type ImagePipeline,
  type ImagePipelineConfig,
  type WordPieceTokenizer,
} from '@umd/data';
import { loadVisionStem, UmdModel } from '@umd/encoders';
import { classificationMetrics, retrievalRecall, vqaAccuracy, type Accuracy, type ClassificationMetrics, type RetrievalRecall } from '@umd/evaluation';

import { offeredAnswerClasses, offeredArgMax } from './answer-choices.js';
import { gatedArgMax, type AnswerTypeGate } from './answer-type-gate.js';
import { checkpointModelConfig, checkpointNormalization } from './load-pretrained-model.js';
import { predictTask, taskLogits } from './predict-task.js';
import { retrievalImageEmbeddings, retrievalTextEmbeddings, scoreRetrieval, type QueryBank } from './score-retrieval.js';
import type { TaskBatch } from './task-batch.js';
import { createTaskCollate, type TaskSampleBatch } from './task-collate.js';
import { checkTaskSamples, taskTargets, type TaskSample } from './task-samples.js';
import { taskClasses, validateTaskSpec, type TaskSpec } from './task-spec.js';
import { createTaskTuning, type TaskTuning } from './task-tuning.js';

/** Metrics of one evaluation, by task (from `@umd/evaluation`). */
export type TaskMetrics =
  | {
      readonly kind: 'vqa';
      readonly overall: Accuracy;
      readonly open: Accuracy;
      readonly closed: Accuracy;
      /** Questions whose answer is not in the vocabulary (counted, never correct). */
      readonly outsideVocabulary: number;
    }
  | ({
      readonly kind: 'classification';
      /** Samples whose label is not one of the task's labels (counted as wrong in `accuracy`, left out of the rest). */
      readonly outsideLabels: number;
    } & ClassificationMetrics)
  | ({
      readonly kind: 'retrieval';
      readonly nImages: number;
      readonly nTexts: number;
      readonly topK: number;
      readonly pairsScored: number;
      readonly firstStageMs: number;
      readonly rerankMs: number;
    } & RetrievalRecall);

/** One prediction, by task. */
export type TaskPrediction =
  | {
      readonly kind: 'vqa';
      readonly id: string;
      readonly prediction: string;
      readonly answer: string;
      readonly answerType: 'open' | 'closed';
      readonly correct: boolean;
    }
  | { readonly kind: 'classification'; readonly id: string; readonly prediction: string; readonly label: string; readonly correct: boolean }
  /** Per caption: the 1-based rank of its image among all images (text → image). */
  | { readonly kind: 'retrieval'; readonly id: string; readonly imageId: string; readonly rank: number; readonly topImageId: string };

/** The result of evaluating a model on one split. */
export interface TaskEvaluation {
  /**
   * The model-selection metric: overall accuracy (VQA), accuracy (classification) or mean recall (retrieval), in
   * [0, 1].
   */
  readonly metric: number;
  readonly metrics: TaskMetrics;
  /** In the order of the samples (retrieval: of the captions). */
  readonly predictions: readonly TaskPrediction[];
  readonly samples: number;
  readonly ms: number;
}

/** How to read and batch the samples of an evaluation. */
export interface EvaluationInputs {
  readonly pipeline: ImagePipeline;
  readonly tokenizer: WordPieceTokenizer;
  readonly batchSize: number;
  /** Every image replaced by zeros. */
  readonly blindImage?: boolean;
  /** Every question, caption or text replaced by an empty one. */
  readonly blindText?: boolean;
  /** Retrieval: candidates re-ranked per image and per caption. */
  readonly topK?: number;
  /** VQA: answer among the classes of the question's predicted type only ({@link fitAnswerTypeGate}). */
  readonly answerTypeGate?: AnswerTypeGate;
  /** VQA: a question that offers its answers ("X or Y?") is answered among the classes it names ({@link offeredAnswerClasses}). */
  readonly answerChoices?: boolean;
  /**
   * More views of every image (pipelines with other crops, e.g. {@link evaluationViewCrops}): the prediction is the
   * mean over `pipeline` and these of the class probabilities (VQA, classification) or of the projected image
   * embeddings (retrieval). Default none: `pipeline` alone.
   */
  readonly views?: readonly ImagePipeline[];
  /** Retrieval: querybank normalisation against hubs ({@link RetrievalQueryBank}). Default none. */
  readonly queryBank?: RetrievalQueryBank;
}

/**
 * Retrieval: the query bank of `scoreRetrieval`'s inverted softmax (querybank normalisation): captions and images the
 * evaluation does not score — the training split's, never the evaluated split's — encoded with the same pipeline.
 */
export interface RetrievalQueryBank {
  readonly samples: readonly CaptionSample[];
  /** Inverse temperature, > 0. */
  readonly beta: number;
}

/** Options of {@link evaluateTask}. */
export interface EvaluateTaskOptions {
  /** A tuning in memory (e.g. `runTaskTuning`'s model), or… */
  readonly tuning?: TaskTuning;
  /** …a tuned checkpoint (`best.safetensors` of a run): architecture, task and normalisation come from it. */
  readonly checkpoint?: string;
  /** Any split; test evaluation is the caller's decision. */
  readonly samples: readonly TaskSample[];
  readonly tokenizer: WordPieceTokenizer;
  /** Default 32. */
  readonly batchSize?: number;
  /** Pipeline settings besides size, channels and crop (always centre). */
  readonly image?: Omit<ImagePipelineConfig, 'size' | 'channels' | 'crop'>;
  /** Default: the checkpoint's when it has one, else the pipeline's default. */
  readonly imageNormalization?: ImageNormalization;
  /** Evaluate the floor: every image replaced by zeros. */
  readonly blindImage?: boolean;
  /** Evaluate the image-only floor: every question, caption or text replaced by an empty one. */
  readonly blindText?: boolean;
  /** Retrieval: candidates re-ranked with the fused head per image and per caption. Default 20. */
  readonly topK?: number;
  /** VQA: answer among the classes of the question's predicted type only (fit it on the training split). */
  readonly answerTypeGate?: AnswerTypeGate;
  /** VQA: a question that offers its answers ("X or Y?") is answered among the classes it names. Default false. */
  readonly answerChoices?: boolean;
  /** Image views averaged per prediction ({@link evaluationViewCrops}): 1 = the centre crop (default), 3 = also both ends. */
  readonly views?: EvaluationViewCount;
  /**
   * A model with an image-only head: λ of its blend into the prediction, in place of the one it was tuned with (e.g.
   * to choose λ on validation without tuning again). Default: the tuning's.
   */
  readonly imageBlend?: number;
  /**
   * A retrieval model with attribute heads: λ of the attribute agreement added to its first-stage scores, in place of
   * the `retrieval.attributeAgreement` it was tuned with (e.g. to choose λ on validation without tuning again).
   * Default: the tuning's.
   */
  readonly attributeAgreement?: number;
  /** Retrieval: querybank normalisation with these captions and images (e.g. the training split's). Default none. */
  readonly queryBank?: RetrievalQueryBank;
}

/** How many crops of each image an evaluation averages over. */
export type EvaluationViewCount = 1 | 3;

/**
 * The crops of an evaluation with `views` views: the centre crop (what tuning validates with), and for 3 also the
 * windows at both ends of the longer side (top and bottom of a tall image, left and right of a wide one), so nothing
 * of a 2:1 image is left out. Square images give the same crop three times.
 */
export function evaluationViewCrops(views: EvaluationViewCount): readonly ImageCrop[] {
  if (views !== 1 && views !== 3) throw new InvalidConfigError('views', views, '1 (the centre crop) or 3 (also both ends of the longer side)');
  return views === 1 ? [{ kind: 'centre' }] : [{ kind: 'centre' }, { kind: 'window', position: 0 }, { kind: 'window', position: 1 }];
}

/**
 * Evaluates a tuned model on any split: predictions and metrics from `@umd/evaluation` — VQA accuracy overall / open
 * / closed (answers outside the vocabulary never count as correct), classification accuracy and macro-F1, retrieval
 * Recall@1/5/10 both ways and their mean (two-stage scoring, {@link scoreRetrieval}). Which split is evaluated, and
 * when the test split is touched, is the caller's decision.
 *
 * @throws InvalidConfigError without exactly one of `tuning` / `checkpoint`, for samples of another task or none
 * @throws CheckpointMismatchError when the checkpoint is not a tuned one (no `config.task`) or does not fit
 */
export async function evaluateTask(options: EvaluateTaskOptions): Promise<TaskEvaluation> {
  if ((options.tuning === undefined) === (options.checkpoint === undefined)) {
    throw new InvalidConfigError('evaluateTask(tuning, checkpoint)', 'both or neither', 'exactly one of a TaskTuning and a tuned checkpoint path');
  }
  const loaded = options.checkpoint === undefined ? undefined : await loadTaskTuning(options.checkpoint);
  const tuned = options.tuning ?? loaded!.tuning;
  try {
    const tuning = withAttributeAgreement(withImageBlend(tuned, options.imageBlend), options.attributeAgreement);
    const { imageSize, channels } = tuning.model.config.vision;
    const normalization = options.imageNormalization ?? loaded?.imageNormalization;
    const [pipeline, ...views] = evaluationViewCrops(options.views ?? 1).map((crop) =>
      createImagePipeline({ ...options.image, size: imageSize, channels, crop, ...(normalization ? { normalization } : {}) }),
    );
    return await evaluateTuning(tuning, options.samples, {
      pipeline: pipeline!,
      ...(views.length ? { views } : {}),
      tokenizer: options.tokenizer,
      batchSize: options.batchSize ?? 32,
      ...(options.blindImage ? { blindImage: true } : {}),
      ...(options.blindText ? { blindText: true } : {}),
      ...(options.topK === undefined ? {} : { topK: options.topK }),
      ...(options.answerTypeGate ? { answerTypeGate: options.answerTypeGate } : {}),
      ...(options.answerChoices ? { answerChoices: true } : {}),
      ...(options.queryBank ? { queryBank: options.queryBank } : {}),
    });
  } finally {
    loaded?.tuning.model.dispose();
  }
}

/**
 * Rebuilds a tuning from a tuned checkpoint (written by `runTaskTuning`): model and task from `config.model` and
 * `config.task`, every weight of the model and its heads loaded. The caller owns `tuning.model`.
 *
 * @throws CheckpointMismatchError when the checkpoint lacks `config.model` or `config.task`, or its weights do not fit
 */
export async function loadTaskTuning(
  checkpoint: string,
): Promise<{ tuning: TaskTuning; imageNormalization?: ImageNormalization; metadata: CheckpointMetadata }> {
  return tuningFromCheckpoint(await readCheckpoint(checkpoint), checkpoint);
}

/**
 * {@link loadTaskTuning} from a checkpoint already read (`decodeCheckpoint`): the same checks, the same model.
 * `checkpoint` names it in errors. The caller owns `tuning.model`.
 */
export async function tuningFromCheckpoint(
  file: LoadedCheckpoint,
  checkpoint: string,
): Promise<{ tuning: TaskTuning; imageNormalization?: ImageNormalization; metadata: CheckpointMetadata }> {
  const modelConfig = checkpointModelConfig(file.metadata);
  const task = (file.metadata.config as { task?: TaskSpec } | undefined)?.task;
  if (!modelConfig || !task) {
    throw new CheckpointMismatchError(checkpoint, [
      {
        kind: 'field',
        name: modelConfig ? 'config.task' : 'config.model',
        checkpoint: 'absent',
        expected: 'a tuned checkpoint (runTaskTuning writes config.model and config.task)',
      },
    ]);
  }
  validateTaskSpec(task);
  const imageNormalization = checkpointNormalization(file.metadata, checkpoint);
  const random = new SeededRandom(0); // every weight is overwritten
  await loadVisionStem(modelConfig.vision.stem);
  const model = new UmdModel(modelConfig, random);
  try {
    const tuning = createTaskTuning({ model, task, random, ...headSettings(file.metadata.config) });
    // Left out: `extra/*` and the heads that only served during tuning (TD-Calib's reconstruction regularizer saves
    // `heads.mimDecoder.*`, `heads.mlm.*`, … with the task heads); anything else must match exactly.
    const targets = model.parameterMap();
    const weights: Record<string, TensorRecord> = {};
    for (const [name, record] of Object.entries(file.weights)) {
      if (name.startsWith('extra/') || (name.startsWith('heads.') && !targets.has(name))) continue;
      weights[name] = record;
    }
    assignWeights(targets, weights, checkpoint);
    return { tuning, ...(imageNormalization ? { imageNormalization } : {}), metadata: file.metadata };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** The head settings a tuned checkpoint's config records (defaults when absent). */
function headSettings(config: unknown): {
  retrieval?: TaskTuning['retrieval'];
  attributes?: TaskTuning['attributes'];
  hiddenMultiplier?: number;
  pooling: TaskTuning['pooling'];
  imageHead?: TaskTuning['imageHead'];
} {
  const { retrieval, attributes, hiddenMultiplier, pooling, imageHead } = (config ?? {}) as {
    retrieval?: TaskTuning['retrieval'];
    attributes?: TaskTuning['attributes'];
    hiddenMultiplier?: number;
    pooling?: TaskTuning['pooling'];
    imageHead?: TaskTuning['imageHead'];
  };
  // Checkpoints written before `pooling` existed were tuned with the CLS pair.
  return {
    ...(retrieval ? { retrieval } : {}),
    ...(attributes ? { attributes } : {}),
    ...(hiddenMultiplier === undefined ? {} : { hiddenMultiplier }),
    pooling: pooling ?? 'cls',
    ...(imageHead ? { imageHead } : {}),
  };
}

/**
 * Evaluates `tuning` on `samples` with the given pipeline and tokenizer (the run reuses its own, and their caches).
 *
 * @throws InvalidConfigError for samples of another task or none
 */
export async function evaluateTuning(tuning: TaskTuning, samples: readonly TaskSample[], inputs: EvaluationInputs): Promise<TaskEvaluation> {
  const { task } = tuning;
  if (samples.length === 0) throw new InvalidConfigError('samples', 0, 'at least one sample to evaluate');
  checkTaskSamples(task, samples, 'samples');
  const started = performance.now();
  if (task.kind === 'retrieval') {
    const captions = samples as readonly CaptionSample[];
    const result = retrievalEvaluation(captions, await retrievalScores(tuning, captions, inputs));
    return { ...result, samples: samples.length, ms: performance.now() - started };
  }
  const classes = taskClasses(task);
  const answering = task.kind === 'vqa' ? { gate: inputs.answerTypeGate, choices: inputs.answerChoices ? classes : undefined } : {};
  const predicted = inputs.views?.length ? await predictFromViews(tuning, samples, inputs, answering) : new Int32Array(samples.length);
  if (!inputs.views?.length) {
    const collate = createTaskCollate<TaskSample>({ ...inputs, maxLength: tuning.model.text.maxLength });
    const loader = createBatchLoader({ samples, batchSize: inputs.batchSize, seed: 0, shuffle: false, collate });
    let offset = 0;
    for await (const batch of loader.epoch()) {
      predicted.set(predictBatch(tuning, batch, answering), offset);
      offset += batch.samples.length;
    }
  }
  return { ...classPredictionScores(task, samples, predicted), samples: samples.length, ms: performance.now() - started };
}

type Answering = { readonly gate?: AnswerTypeGate | undefined; readonly choices?: readonly string[] | undefined };

/**
 * Class indices [B] of a batch: the plain argmax, or for VQA through the answer-type gate and / or among the answers a
 * question offers (the offered answers win where a question names two or more classes).
 */
function predictBatch(tuning: TaskTuning, batch: TaskSampleBatch, answering: Answering): Int32Array {
  const input = batchInput(batch);
  try {
    if (!answering.gate && !answering.choices) return predictTask(tuning, input);
    const logits = taskLogits(tuning, input);
    const values = logits.dataSync() as Float32Array;
    logits.dispose();
    return decide(values, tuning.numClasses, batch.samples, answering);
  } finally {
    input.images.dispose();
  }
}

/**
 * The class probabilities [N, K] (row-major) of `samples` through `inputs.pipeline` (one pass, evaluation mode): the
 * softmax of {@link taskLogits}. Leaves no tensor behind.
 */
export async function classProbabilities(tuning: TaskTuning, samples: readonly TaskSample[], inputs: EvaluationInputs): Promise<Float32Array> {
  const K = tuning.numClasses;
  const out = new Float32Array(samples.length * K);
  const collate = createTaskCollate<TaskSample>({ ...inputs, maxLength: tuning.model.text.maxLength });
  const loader = createBatchLoader({ samples, batchSize: inputs.batchSize, seed: 0, shuffle: false, collate });
  let offset = 0;
  for await (const batch of loader.epoch()) {
    const input = batchInput(batch);
    let probabilities: tf.Tensor;
    try {
      probabilities = tf.tidy(() => tf.softmax(taskLogits(tuning, input)));
    } finally {
      input.images.dispose();
    }
    out.set(probabilities.dataSync() as Float32Array, offset * K);
    probabilities.dispose();
    offset += batch.samples.length;
  }
  return out;
}

/**
 * Class indices [N] from the class probabilities averaged over the image views (`inputs.pipeline`, then
 * `inputs.views`): each view is one pass over the samples; the answer-type gate and offered answers apply to the mean.
 */
async function predictFromViews(tuning: TaskTuning, samples: readonly TaskSample[], inputs: EvaluationInputs, answering: Answering): Promise<Int32Array> {
  const K = tuning.numClasses;
  const pipelines = [inputs.pipeline, ...(inputs.views ?? [])];
  const mean = new Float32Array(samples.length * K); // [N, K]
  for (const pipeline of pipelines) {
    const probabilities = await classProbabilities(tuning, samples, { ...inputs, pipeline });
    for (let i = 0; i < probabilities.length; i++) mean[i]! += probabilities[i]! / pipelines.length;
  }
  return decide(mean, K, samples, answering);
}

/** A collated batch as `taskLogits` takes it; the caller disposes `images`. */
function batchInput(batch: TaskSampleBatch): TaskBatch & { readonly images: tf.Tensor4D } {
  const images = tf.tensor4d(batch.images.data, batch.images.shape as [number, number, number, number]);
  return { images, tokenIds: batch.inputIds.data, attentionMask: batch.attentionMask.data, wordIds: batch.wordIds.data };
}

/** Argmax per row of [rows, numClasses] scores (logits or probabilities), through the VQA gate and offered answers. */
function decide(values: Float32Array, numClasses: number, samples: readonly TaskSample[], answering: Answering): Int32Array {
  const { gate, choices } = answering;
  const everyClass = Array.from({ length: numClasses }, (_, k) => k);
  if (!gate && !choices) return Int32Array.from(samples, (_, row) => offeredArgMax(values, numClasses, row, everyClass));
  const questions = samples.map((sample) => (sample as Extract<TaskSample, { task: 'vqa' }>).question);
  const predicted = gate
    ? gatedArgMax(
        values,
        numClasses,
        questions.map((question) => gate.closedProbability(question)),
        gate,
      )
    : Int32Array.from(questions, (_, row) => offeredArgMax(values, numClasses, row, everyClass));
  if (choices) {
    questions.forEach((question, row) => {
      const offered = offeredAnswerClasses(question, choices);
      if (offered.length > 0) predicted[row] = offeredArgMax(values, numClasses, row, offered);
    });
  }
  return predicted;
}

/** One model's retrieval scores of a split: every distinct image against every caption. */
export interface RetrievalSplitScores {
  /** [N images, M captions] row-major: image i against caption t (higher is closer). */
  readonly scores: Float32Array;
  /** The first sample of each distinct image (by `imageId`), in order of first appearance: N. */
  readonly imageSamples: readonly CaptionSample[];
  /** Per caption, the index of its own image in `imageSamples`: M. */
  readonly textImage: readonly number[];
  readonly topK: number;
  readonly pairsScored: number;
  readonly firstStageMs: number;
  readonly rerankMs: number;
}

/**
 * The scores of every distinct image (by `imageId`) of `samples` against every caption, through `inputs` (views,
 * query bank and re-ranking as {@link evaluateTask} takes them). Leaves no tensor behind.
 */
export async function retrievalScores(tuning: TaskTuning, samples: readonly CaptionSample[], inputs: EvaluationInputs): Promise<RetrievalSplitScores> {
  const imageIndex = new Map<string, number>();
  const imageSamples: CaptionSample[] = [];
  const textImage = samples.map((sample) => {
    let index = imageIndex.get(sample.imageId);
    if (index === undefined) {
      index = imageSamples.length;
      imageIndex.set(sample.imageId, index);
      imageSamples.push(sample);
    }
    return index;
  });
  const collate = createTaskCollate<CaptionSample>({ ...inputs, maxLength: tuning.model.text.maxLength });
  const images = await collate(imageSamples);
  const texts = inputs.tokenizer.encodeBatch(
    samples.map((sample) => sample.caption),
    { maxLength: tuning.model.text.maxLength },
  );
  const topK = inputs.topK ?? 20;
  const imageTensor = tf.tensor4d(images.images.data, images.images.shape as [number, number, number, number]);
  const views: tf.Tensor4D[] = [];
  let bank: QueryBank | undefined;
  try {
    for (const pipeline of inputs.views ?? []) {
      const view = await createTaskCollate<CaptionSample>({ ...inputs, pipeline, maxLength: tuning.model.text.maxLength })(imageSamples);
      views.push(tf.tensor4d(view.images.data, view.images.shape as [number, number, number, number]));
    }
    if (inputs.queryBank) bank = await queryBankEmbeddings(tuning, inputs.queryBank, inputs);
    const scored = await scoreRetrieval(
      tuning,
      imageTensor,
      { tokenIds: texts.inputIds, attentionMask: texts.attentionMask },
      { topK, batchSize: inputs.batchSize, ...(views.length ? { views } : {}), ...(bank ? { queryBank: bank } : {}) },
    );
    const { scores, pairsScored, firstStageMs, rerankMs } = scored;
    return { scores, imageSamples, textImage, topK, pairsScored, firstStageMs, rerankMs };
  } finally {
    imageTensor.dispose();
    tf.dispose(views);
    if (bank) tf.dispose([bank.imageEmbeddings, bank.textEmbeddings]);
  }
}

/** Recall both ways, with each caption's own image as its match, and each caption's rank of its image, from `scored`. */
export function retrievalEvaluation(samples: readonly CaptionSample[], scored: RetrievalSplitScores): Omit<TaskEvaluation, 'samples' | 'ms'> {
  const { scores, imageSamples, textImage } = scored;
  const N = imageSamples.length;
  const M = samples.length;
  if (textImage.length !== M || scores.length !== N * M) throw new InvalidConfigError('samples', M, `the ${textImage.length} captions that were scored`);
  const recall = retrievalRecall(scores, N, M, { textImage });
  const predictions = samples.map((sample, t): TaskPrediction => {
    const own = scores[textImage[t]! * M + t]!;
    let rank = 1;
    let top = 0;
    for (let i = 0; i < N; i++) {
      const score = scores[i * M + t]!;
      if (i !== textImage[t] && score >= own) rank += 1;
      if (score > scores[top * M + t]!) top = i;
    }
    return { kind: 'retrieval', id: sample.id, imageId: sample.imageId, rank, topImageId: imageSamples[top]!.imageId };
  });
  return {
    metric: recall.meanRecall,
    metrics: {
      kind: 'retrieval',
      ...recall,
      nImages: N,
      nTexts: M,
      topK: scored.topK,
      pairsScored: scored.pairsScored,
      firstStageMs: scored.firstStageMs,
      rerankMs: scored.rerankMs,
    },
    predictions,
  };
}

/**
 * The bank's distinct images (by `imageId`) and its captions, embedded as the evaluated ones are (`inputs.pipeline`,
 * blanked with `blindImage`), images read in chunks so a large training split never sits in memory at once.
 *
 * @throws InvalidConfigError for an empty bank or a β that is not > 0
 */
async function queryBankEmbeddings(tuning: TaskTuning, bank: RetrievalQueryBank, inputs: EvaluationInputs): Promise<QueryBank> {
  if (bank.samples.length === 0) throw new InvalidConfigError('queryBank.samples', 0, 'at least one caption and image');
  if (!(Number.isFinite(bank.beta) && bank.beta > 0)) throw new InvalidConfigError('queryBank.beta', bank.beta, 'a number > 0');
  const seen = new Set<string>();
  const imageSamples = bank.samples.filter((sample) => !seen.has(sample.imageId) && seen.add(sample.imageId));
  const collate = createTaskCollate<CaptionSample>({ ...inputs, maxLength: tuning.model.text.maxLength });
  const chunk = Math.max(inputs.batchSize, 64);
  const parts: tf.Tensor[] = [];
  try {
    for (let start = 0; start < imageSamples.length; start += chunk) {
      const batch = await collate(imageSamples.slice(start, start + chunk));
      const images = tf.tensor4d(batch.images.data, batch.images.shape as [number, number, number, number]);
      try {
        parts.push(retrievalImageEmbeddings(tuning, images, { batchSize: inputs.batchSize }));
      } finally {
        images.dispose();
      }
    }
    const texts = inputs.tokenizer.encodeBatch(
      bank.samples.map((sample) => sample.caption),
      { maxLength: tuning.model.text.maxLength },
    );
    const textEmbeddings = retrievalTextEmbeddings(tuning, { tokenIds: texts.inputIds, attentionMask: texts.attentionMask }, { batchSize: inputs.batchSize });
    return { imageEmbeddings: tf.concat(parts, 0) as tf.Tensor2D, textEmbeddings, beta: bank.beta };
  } finally {
    tf.dispose(parts);
  }
}

/** `tuning` ranking retrieval with attribute agreement λ `agreement` (a shallow copy; the same model and heads), or as it is. */
export function withAttributeAgreement(tuning: TaskTuning, agreement: number | undefined): TaskTuning {
  if (agreement === undefined) return tuning;
  if (tuning.task.kind !== 'retrieval')
    throw new InvalidConfigError('attributeAgreement', agreement, `absent for a ${tuning.task.kind} model (retrieval only)`);
  if (!(Number.isFinite(agreement) && agreement >= 0)) throw new InvalidConfigError('attributeAgreement', agreement, 'a number ≥ 0');
  if (agreement > 0 && !tuning.heads.attributes) {
    throw new InvalidConfigError('attributeAgreement', agreement, '0 or absent for a model without attribute heads (attributes.fields)');
  }
  return { ...tuning, retrieval: { ...tuning.retrieval, attributeAgreement: agreement } };
}

/** `tuning` with its image-only head blended by `blend` (a shallow copy; the same model and heads), or as it is. */
function withImageBlend(tuning: TaskTuning, blend: number | undefined): TaskTuning {
  if (blend === undefined) return tuning;
  if (!tuning.imageHead) throw new InvalidConfigError('imageBlend', blend, 'absent for a model without an image-only head (imageHead)');
  if (!(blend >= 0 && blend <= 1)) throw new InvalidConfigError('imageBlend', blend, 'a number in [0, 1]');
  return { ...tuning, imageHead: { ...tuning.imageHead, blend } };
}

/**
 * Metrics and predictions of VQA or classification from each sample's predicted class index: VQA accuracy overall /
 * open / closed (answers outside the vocabulary never correct), classification accuracy (labels outside the classes
 * count as wrong) with macro-F1 and the confusion matrix over the known ones.
 */
export function classPredictionScores(
  task: Exclude<TaskSpec, { kind: 'retrieval' }>,
  samples: readonly TaskSample[],
  predicted: Int32Array,
): Omit<TaskEvaluation, 'samples' | 'ms'> {
  const classes = taskClasses(task);
  const targets = taskTargets(task, samples)!;
  if (task.kind === 'vqa') {
    const records = samples.map((sample, i) => {
      const vqa = sample as Extract<TaskSample, { task: 'vqa' }>;
      return { id: vqa.id, prediction: classes[predicted[i]!]!, answer: vqa.answer, answerType: vqa.answerType };
    });
    const accuracy = vqaAccuracy(records);
    const predictions = records.map((record): TaskPrediction => ({ kind: 'vqa', ...record, correct: record.prediction === record.answer }));
    const outsideVocabulary = targets.filter((target) => target < 0).length;
    return {
      metric: accuracy.overall.accuracy,
      metrics: { kind: 'vqa', ...accuracy, outsideVocabulary },
      predictions,
    };
  }
  const inside = [...targets.keys()].filter((i) => targets[i]! >= 0);
  const metrics = classificationMetrics(
    inside.map((i) => predicted[i]!),
    inside.map((i) => targets[i]!),
    classes.length,
  );
  const accuracy = (metrics.accuracy * inside.length) / samples.length; // samples outside the labels count as wrong
  const predictions = samples.map((sample, i): TaskPrediction => {
    const label = (sample as Extract<TaskSample, { task: 'classification' }>).label;
    const prediction = classes[predicted[i]!]!;
    return { kind: 'classification', id: sample.id, prediction, label, correct: prediction === label };
  });
  return {
    metric: accuracy,
    metrics: { kind: 'classification', ...metrics, accuracy, outsideLabels: samples.length - inside.length },
    predictions,
  };
}
