import path from 'node:path';

import {
  AdamW,
  appendJsonLine,
  BestByValidation,
  InvalidConfigError,
  runTraining,
  SeededRandom,
  WeightAverage,
  type BestByValidationState,
  type Resumable,
  type RunTrainingOptions,
  type TrainEvent,
} from '@umd/core';
import {
  createBatchLoader,
  createImagePipeline,
  type ImageNormalization,
  type ImagePipelineConfig,
  type WordPieceTokenizer,
  type WordVectors,
} from '@umd/data';
import { initWordEmbeddings, type FusionPooling, type UmdModel, type UmdModelConfig } from '@umd/encoders';
import { createCoordinator, strategyKinds, type Coordinator, type CoordinatorState, type StrategyConfig } from '@umd/gm-coord';

import { classBalanceWeights } from './class-balance-weights.js';
import { evaluateTuning, type TaskEvaluation, type TaskMetrics, type TaskPrediction } from './evaluate-task.js';
import { finetuneParameterGroups, type FinetuneMultipliers } from './finetune-parameter-groups.js';
import { finetuneCollatedStep } from './finetune-collated-step.js';
import type { AuxiliaryLoss, StepCoordination } from './finetune-step.js';
import { loadPretrainedModel } from './load-pretrained-model.js';
import { createTaskCollate } from './task-collate.js';
import { attributeClasses, checkTaskSamples, type TaskSample } from './task-samples.js';
import { validateTaskSpec, type TaskSpec } from './task-spec.js';
import { createTaskTuning, type AttributeTargetOptions, type ImageHeadOptions, type RetrievalTuningOptions, type TaskTuning } from './task-tuning.js';

/** Learning rate of a tuning run: linear warm-up from 0, then a linear (M3AE) or cosine decay to `min`. */
export interface TaskLearningRate {
  /** The encoders' peak rate; fusion and heads get `multipliers` times it. */
  readonly base: number;
  /** Warm-up steps. Default: `warmupFraction` of the run. */
  readonly warmupSteps?: number;
  /** Warm-up as a fraction of the run's steps, when `warmupSteps` is not given. Default 0.1 (M3AE). */
  readonly warmupFraction?: number;
  /** Final rate. Default 0. */
  readonly min?: number;
  /** Decay after the warm-up. Default `linear` (M3AE's polynomial decay of power 1). */
  readonly decay?: 'linear' | 'cosine';
  /** AdamW's decoupled weight decay. Default 0.01 (M3AE). */
  readonly weightDecay?: number;
  /** Per-group multipliers. Default M3AE's: encoders 1, fusion 5, heads 50. */
  readonly multipliers?: FinetuneMultipliers;
}

/** GM-Coord during tuning (see `@umd/gm-coord`); the coordinator's modalities are `text` and `vision`. */
export interface GmCoordOptions {
  /** Default `ogm-ge`. */
  readonly strategy?: StrategyConfig['kind'];
  /** Modulation strength α ≥ 0 (OGM-GE used 0.1–1). */
  readonly alpha: number;
  /** OGM-GE's Gaussian noise on modulated gradients. Default: the strategy's (on for `ogm-ge`). */
  readonly noise?: boolean;
  /** EMA on the status signals. Default 0. */
  readonly emaDecay?: number;
  /** Steps before modulation starts (status is still tracked). Default 0. */
  readonly warmupSteps?: number;
  /** Step from which modulation stops. Default never. */
  readonly stopStep?: number;
  /** Floor on the coefficients. Default 0. */
  readonly minCoefficient?: number;
}

/** Options of {@link runTaskTuning}. */
export interface RunTaskTuningOptions {
  readonly task: TaskSpec;
  /** VqaSample[] (vqa), ClassificationSample[] (classification) or CaptionSample[] (retrieval). */
  readonly train: readonly TaskSample[];
  /** Model selection happens on these only. */
  readonly validation: readonly TaskSample[];
  /** Its vocabulary must fit the model's `text.vocabSize`. */
  readonly tokenizer: WordPieceTokenizer;
  /** MR pre-training or TD-Calib checkpoint to start from; absent: from scratch with `modelConfig`. */
  readonly checkpoint?: string;
  readonly modelConfig?: UmdModelConfig;
  /**
   * Pre-trained word vectors (GloVe; `readWordVectors` in @umd/data) the word embedding rows of the tokenizer's whole-word
   * tokens start from (`initWordEmbeddings` in @umd/encoders). From scratch only (with `modelConfig`, not `checkpoint`).
   */
  readonly wordVectors?: WordVectors;
  /** Samples per step (every batch is full: the last partial batch of an epoch is dropped). */
  readonly batchSize: number;
  /** Epochs of the training set; give this or `steps`. */
  readonly epochs?: number;
  /** Optimizer steps; give this or `epochs`. */
  readonly steps?: number;
  readonly learningRate: TaskLearningRate;
  /** Seeds the heads, the loader's order, retrieval negatives and GE noise. */
  readonly seed: number;
  /** Receives `metrics.jsonl`, `validation.jsonl`, `checkpoints/`, `best.safetensors`, `best-validation.json`, `coordination.jsonl`. */
  readonly outDir: string;
  /** Continue from the newest checkpoint in `outDir/checkpoints` (a fresh start if there is none). */
  readonly resume?: boolean;
  /** GM-Coord on the encoder gradients (not for retrieval). */
  readonly gmCoord?: GmCoordOptions;
  /**
   * Builds an auxiliary loss added inside every step's tape (TD-Calib's decaying reconstruction loss). Called once,
   * after the task heads exist and before the optimizer is created, so heads it registers in `model.heads` train too.
   */
  readonly auxiliary?: (model: UmdModel) => AuxiliaryLoss;
  /** The floor baseline: every image replaced by zeros, so the model never sees one ("question-only" / "caption-only"). */
  readonly blindImage?: boolean;
  /** The image-only floor: every question, caption or text replaced by an empty one, so the model reads the image alone. */
  readonly blindText?: boolean;
  /** Image pipeline settings besides size and channels (from the model). Normalisation: the checkpoint's when it has one. */
  readonly image?: Omit<ImagePipelineConfig, 'size' | 'channels'>;
  /**
   * With `image.crop` random-resized: draw this many fixed crops per training image once and show crop e mod n in
   * epoch e (see `createTaskCollate`), so a vision stem's feature cache serves every epoch after the first n.
   * Default: a fresh crop at every load.
   */
  readonly augmentViews?: number;
  /**
   * Training-text augmentation: each sentence of a training caption or classification text is left out with this
   * probability, at least one kept, drawn afresh per sample and epoch from the seed (see `createTaskCollate`);
   * validation and test read whole texts. VQA questions are never cut. Default 0.
   */
  readonly sentenceDrop?: number;
  /** Also evaluate every this many steps (validation runs after every epoch and after the last step anyway). */
  readonly evaluateEvery?: number;
  /** Batch size of evaluation. Default 2 × batchSize. */
  readonly evaluationBatchSize?: number;
  /** Checkpoint every this many steps (and at the end). Default: once per epoch. */
  readonly checkpointEvery?: number;
  /** Resume checkpoints kept (the best one is kept apart). Default 2. */
  readonly keepCheckpoints?: number;
  /** Retrieval: candidates re-ranked with the fused head in validation. Default 20. */
  readonly topK?: number;
  readonly retrieval?: RetrievalTuningOptions;
  /**
   * Auxiliary attribute targets (see `createTaskTuning`): `fields` of the samples' `attributes`; classes are taken from
   * `train` (sorted) unless given, and stored in checkpoints. Default none.
   */
  readonly attributes?: AttributeTargetOptions;
  /** An image-only class head, trained beside the fused one and blended into the prediction (`createTaskTuning`). Default none. */
  readonly imageHead?: ImageHeadOptions;
  /** Hidden width of the class head in units of 2D. Default 2 (VQA) / 1 (classification). */
  readonly hiddenMultiplier?: number;
  /** How the heads pool the fused streams (`createTaskTuning`'s `pooling`). Default `'cls'`. */
  readonly pooling?: FusionPooling;
  /**
   * Label smoothing ε in [0, 1) of the class loss (VQA, classification; not retrieval): targets (1 − ε)·one-hot + ε/K
   * (see `softmaxCrossEntropy` in @umd/core). Recorded in checkpoints when > 0. Default 0.
   */
  readonly labelSmoothing?: number;
  /**
   * Patch dropout in [0, 1): the fraction of image tokens each training sample leaves out, drawn afresh every step
   * (VQA, classification; not retrieval; see `finetuneStep`). Validation sees every token. Recorded in checkpoints when
   * > 0. Default 0.
   */
  readonly imageTokenDrop?: number;
  /**
   * Class-balanced loss: each training sample's class loss is weighted by n_k^(−classBalance) for its class k (n_k:
   * training samples of class k), scaled so the mean weight over the training samples is 1 (`classBalanceWeights`). 0 =
   * none, 0.5 = square root, 1 = balanced. VQA and classification, not retrieval. Recorded in checkpoints when > 0.
   * Default 0.
   */
  readonly classBalance?: number;
  /**
   * Polyak averaging: validation (and so `best.safetensors`) uses an exponential moving average of the weights with
   * this decay (`WeightAverage` in @umd/core), training goes on with the live weights. Recorded in checkpoints. Default:
   * none.
   */
  readonly weightAverage?: { readonly decay: number };
  readonly onEvent?: (event: TaskTuningEvent) => void;
  /** Stops after the current step, writing a checkpoint first. */
  readonly signal?: AbortSignal;
}

/** `step-end` of core's loop with the step's terms, its epoch and GM-Coord's coefficients when on. */
export type TaskStepEndEvent = Extract<TrainEvent, { type: 'step-end' }> & {
  readonly epoch: number;
  readonly terms: Readonly<Record<string, number>>;
  /** Training time of the step alone (data wait + step), without the validation pass some steps end with. */
  readonly trainMs: number;
  readonly coefficients?: Readonly<Record<string, number>>;
};

/** A validation pass. */
export interface EvaluationEndEvent {
  readonly type: 'evaluation-end';
  readonly step: number;
  readonly epoch: number;
  readonly metric: number;
  readonly metrics: TaskMetrics;
  /** Whether this pass is the best so far (and was saved). */
  readonly best: boolean;
  readonly ms: number;
}

/** Events of a tuning run, noun-verb named. */
export type TaskTuningEvent =
  | Exclude<TrainEvent, { type: 'step-end' }>
  | TaskStepEndEvent
  | EvaluationEndEvent
  | { readonly type: 'best-save'; readonly step: number; readonly path: string; readonly metric: number };

/** The best validation pass of a run. */
export interface BestValidation {
  readonly step: number;
  readonly epoch: number;
  readonly metric: number;
  readonly metrics: TaskMetrics;
  readonly predictions: readonly TaskPrediction[];
}

/** What {@link runTaskTuning} returns. */
export interface TaskTuningRun {
  readonly step: number;
  readonly reason: 'completed' | 'aborted';
  /** Steps of the whole run (epochs × batches per epoch, or `steps`). */
  readonly totalSteps: number;
  readonly stepsPerEpoch: number;
  /** The best validation pass (undefined when the run stopped before the first one). */
  readonly best: BestValidation | undefined;
  /** Model weights of the best validation pass, with `config.model` and `config.task` (for `evaluateTask`). */
  readonly bestCheckpoint: string | undefined;
  readonly lastCheckpoint?: string;
  /** Every validation pass of the run: step and selection metric. */
  readonly history: readonly { readonly step: number; readonly epoch: number; readonly metric: number }[];
  /** Median training time per step in this session (validation passes excluded). */
  readonly medianStepMs: number;
  /** Pre-trained checkpoint entries left out (`heads.*`, `extra/*`). */
  readonly ignored: readonly string[];
  readonly imageNormalization: ImageNormalization;
  readonly metricsPath: string;
  readonly validationPath: string;
  /** GM-Coord's per-step trace (JSON lines), when on. */
  readonly coordinationPath?: string;
  readonly checkpointDir: string;
}

/** One line of `metrics.jsonl`. */
export type TaskMetricsLine = {
  readonly step: number;
  readonly epoch: number;
  readonly loss: number;
  readonly lr: number;
  readonly ms: number;
} & Readonly<Record<string, number>>;

interface BestRecord {
  readonly step: number;
  readonly epoch: number;
  readonly metric: number;
}

/** What a step tells its `step-end` event besides its terms. */
interface StepInfo {
  readonly epoch: number;
  /** Data wait + step, without the validation pass some steps end with. */
  readonly trainMs: number;
  readonly coordination?: StepCoordination;
}

/** The run's position that must survive a resume, stored as the checkpoint's `data`. */
interface RunState extends BestByValidationState<BestRecord> {
  readonly loader: unknown;
  readonly coordinator: CoordinatorState | null;
}

/**
 * The whole tuning run on samples: tokenises, loads images (image pipeline at the model's size and channels, with the
 * checkpoint's normalisation when present), trains with core's `trainLoop` (AdamW with M3AE's per-group multipliers,
 * warm-up + decay, NaN guard, checkpoints, exact resume), evaluates on `validation` after every epoch and every
 * `evaluateEvery` steps, keeps the best checkpoint BY VALIDATION ONLY (`best.safetensors`), and returns the best
 * validation metrics and predictions. Writes `metrics.jsonl` (one line per step), `validation.jsonl` (one per pass),
 * `best-validation.json` and, with GM-Coord, `coordination.jsonl`; on resume the lines after the checkpoint are
 * dropped. Reports through `onEvent` only. Frees every tensor it creates.
 *
 * @throws InvalidConfigError for an invalid option (samples of another task, a tokenizer larger than the model's
 *   vocabulary, GM-Coord or label smoothing on retrieval, neither or both of epochs/steps, …)
 * @throws CheckpointMismatchError when the checkpoint does not fit; NonFiniteLossError when the loss diverges
 */
export async function runTaskTuning(options: RunTaskTuningOptions): Promise<TaskTuningRun> {
  const { task, tokenizer, batchSize, learningRate, outDir, seed } = options;
  validateOptions(options);
  const labelSmoothing = options.labelSmoothing ?? 0;
  const coordinationPath = options.gmCoord ? path.join(outDir, 'coordination.jsonl') : undefined;

  const pretrained = await loadPretrainedModel({
    ...(options.checkpoint ? { checkpoint: options.checkpoint } : {}),
    ...(options.modelConfig ? { modelConfig: options.modelConfig } : {}),
    seed,
  });
  const { model } = pretrained;
  const owned: { dispose(): void }[] = [model];
  try {
    const modelConfig = model.config;
    if (tokenizer.vocabSize > modelConfig.text.vocabSize) {
      throw new InvalidConfigError('tokenizer', tokenizer.vocabSize, `a vocabulary of at most model.text.vocabSize = ${modelConfig.text.vocabSize}`);
    }
    const wordEmbeddings = options.wordVectors ? startWordEmbeddings(model, tokenizer, options.wordVectors) : undefined;
    const random = new SeededRandom(`tasks:${seed}`);
    const tuning = createTaskTuning({
      model,
      task,
      random,
      ...(options.hiddenMultiplier === undefined ? {} : { hiddenMultiplier: options.hiddenMultiplier }),
      ...(options.retrieval ? { retrieval: options.retrieval } : {}),
      ...(options.attributes?.fields?.length ? { attributes: withAttributeClasses(options.attributes, options.train) } : {}),
      ...(options.pooling ? { pooling: options.pooling } : {}),
      ...(options.imageHead ? { imageHead: options.imageHead } : {}),
    });
    const auxiliary = options.auxiliary?.(model);
    const { imageSize, channels } = modelConfig.vision;
    const normalization = options.image?.normalization ?? pretrained.imageNormalization;
    const imageConfig = { memoryCacheMiB: 64, ...options.image, size: imageSize, channels, ...(normalization ? { normalization } : {}) };
    const pipeline = createImagePipeline(imageConfig);
    const evaluationPipeline = createImagePipeline({ ...imageConfig, crop: { kind: 'centre' } });
    const maxLength = model.text.maxLength;
    const loader = createBatchLoader({
      samples: options.train,
      batchSize,
      seed,
      dropLast: true, // full batches: retrieval draws in-batch negatives, and step times stay comparable
      collate: createTaskCollate<TaskSample>({
        pipeline,
        tokenizer,
        maxLength,
        blindImage: options.blindImage ?? false,
        ...(options.blindText ? { blindText: true } : {}),
        ...(options.augmentViews === undefined ? {} : { augmentViews: { count: options.augmentViews, seed } }),
        ...(options.sentenceDrop ? { sentenceDrop: { probability: options.sentenceDrop, seed } } : {}),
      }),
    });
    const stepsPerEpoch = loader.batchesPerEpoch;
    const totalSteps = options.steps ?? options.epochs! * stepsPerEpoch;
    const optimizer = new AdamW(model.parameters(), {
      learningRate: learningRate.base,
      weightDecay: learningRate.weightDecay ?? 0.01,
      groups: finetuneParameterGroups(model, learningRate.multipliers),
    });
    owned.push(optimizer);
    const coordinator = options.gmCoord ? buildCoordinator(options.gmCoord) : undefined;
    const average = options.weightAverage ? new WeightAverage(model.parameterMap(), options.weightAverage.decay) : undefined;
    if (average) owned.push(average);

    // State that must survive a resume rides in the checkpoint's `data` field.
    const selection = new BestByValidation<BestRecord, Omit<BestValidation, keyof BestRecord>>(outDir);
    const runState: Resumable = {
      state: (): RunState => ({ loader: loader.state(), ...selection.state(), coordinator: coordinator?.state() ?? null }),
      restore: (state: unknown) => {
        const saved = state as RunState;
        loader.restore(saved.loader);
        selection.restore(saved);
        if (coordinator && saved.coordinator) coordinator.restore(saved.coordinator);
      },
    };
    const config = { ...storedConfig(options, tuning, normalization, totalSteps), ...(wordEmbeddings ? { wordVectors: wordEmbeddings } : {}) };

    const evaluateWeights = async (step: number, epoch: number): Promise<void> => {
      const evaluation: TaskEvaluation = await evaluateTuning(tuning, options.validation, {
        pipeline: evaluationPipeline,
        tokenizer,
        batchSize: options.evaluationBatchSize ?? 2 * batchSize,
        ...(options.blindImage ? { blindImage: true } : {}),
        ...(options.blindText ? { blindText: true } : {}),
        ...(options.topK === undefined ? {} : { topK: options.topK }),
      });
      const { metric, metrics, predictions } = evaluation;
      const pass = { step, epoch, metric };
      const improved = await selection.offer(pass, { metrics }, { metrics, predictions }, model.parameterMap(), { config });
      options.onEvent?.({ type: 'evaluation-end', ...pass, metrics, best: improved, ms: evaluation.ms });
      if (improved) options.onEvent?.({ type: 'best-save', step, path: selection.checkpointPath, metric });
    };
    const evaluate = (step: number, epoch: number): Promise<void> =>
      average ? average.withAverage(() => evaluateWeights(step, epoch)) : evaluateWeights(step, epoch);

    const stepOptions = {
      ...(coordinator ? { coordinator } : {}),
      ...(auxiliary ? { auxiliary } : {}),
      noiseSeed: seed,
      ...(labelSmoothing ? { labelSmoothing } : {}),
      ...(options.imageTokenDrop ? { imageTokenDrop: options.imageTokenDrop } : {}),
      ...(options.classBalance ? { classWeights: classBalanceWeights(task, options.train, options.classBalance) } : {}),
    };
    const stepTimes: number[] = [];
    const result = await runTraining<StepInfo>({
      outDir,
      model,
      ...(average ? { extraModules: { weightAverage: average } } : {}),
      optimizer,
      maxSteps: totalSteps,
      schedule: tuningSchedule(learningRate, totalSteps),
      random,
      data: runState,
      checkpointEvery: options.checkpointEvery ?? stepsPerEpoch,
      keepCheckpoints: options.keepCheckpoints ?? 2,
      logs: [selection.logPath, ...(coordinationPath ? [coordinationPath] : [])],
      ...(options.resume ? { resume: true } : {}),
      config,
      samplesPerStep: batchSize,
      ...(options.signal ? { signal: options.signal } : {}),
      metricsLine: ({ step, loss, terms, learningRate: lr, info }) => ({ step, epoch: info!.epoch, loss, ...terms, lr, ms: round(info!.trainMs) }),
      onEvent: (event) => {
        if (event.type !== 'step-end') return options.onEvent?.(event);
        const { epoch, trainMs, coordination } = event.info!;
        stepTimes.push(trainMs);
        if (coordinationPath && coordination) appendJsonLine(coordinationPath, coordinationLine(event.step, coordination));
        const { info: _info, ...rest } = event;
        options.onEvent?.({ ...rest, epoch, trainMs, ...(coordination ? { coefficients: coordination.coefficients } : {}) });
      },
      trainStep: async (step) => {
        const started = performance.now();
        const { value, epoch, lastInEpoch } = await loader.next();
        const out = finetuneCollatedStep(tuning, optimizer, value, stepOptions);
        average?.update();
        await out.loss.data(); // finish the step's work before timing it and before validation
        const info: StepInfo = { epoch, trainMs: performance.now() - started, ...(out.coordination ? { coordination: out.coordination } : {}) };
        if (lastInEpoch || step === totalSteps || (options.evaluateEvery !== undefined && step % options.evaluateEvery === 0)) {
          await evaluate(step, epoch);
        }
        return { loss: out.loss, terms: out.terms, info };
      },
    });
    return {
      step: result.step,
      reason: result.reason,
      totalSteps,
      stepsPerEpoch,
      best: selection.details,
      bestCheckpoint: selection.best ? selection.checkpointPath : undefined,
      ...(result.lastCheckpoint ? { lastCheckpoint: result.lastCheckpoint } : {}),
      history: selection.history,
      medianStepMs: median(stepTimes),
      ignored: pretrained.ignored,
      imageNormalization: pipeline.normalization,
      metricsPath: result.metricsPath,
      validationPath: selection.logPath,
      ...(coordinationPath ? { coordinationPath } : {}),
      checkpointDir: result.checkpointDir,
    };
  } finally {
    for (const item of owned.reverse()) item.dispose();
  }
}

/** Starts the word embeddings of the tokenizer's whole-word tokens from `vectors`; what to record in checkpoints. */
function startWordEmbeddings(model: UmdModel, tokenizer: WordPieceTokenizer, vectors: WordVectors) {
  const init = initWordEmbeddings(model.text.wordEmbeddings, (id) => {
    const word = tokenizer.wordOf(id);
    return word === undefined ? undefined : vectors.get(word);
  });
  return { source: path.basename(vectors.source), dimensions: vectors.dimensions, ...init };
}

/** Tuning's learning rate over a run of `totalSteps`: linear warm-up (10% by default), then a linear (M3AE) or cosine decay. */
function tuningSchedule(learningRate: TaskLearningRate, totalSteps: number): NonNullable<RunTrainingOptions['schedule']> {
  const warmupSteps = learningRate.warmupSteps ?? Math.round((learningRate.warmupFraction ?? 0.1) * totalSteps);
  return {
    baseLearningRate: learningRate.base,
    schedule: { kind: learningRate.decay ?? 'linear', warmupSteps, totalSteps, minLearningRate: learningRate.min ?? 0 },
  };
}

/** A `coordination.jsonl` line: GM-Coord's coefficients, scores, losses and ratios of one step. */
function coordinationLine(step: number, coordination: StepCoordination): object {
  const { coordination: full, coefficients, scores, losses } = coordination;
  return { step, active: full.active, coefficients, scores, losses, ratios: full.ratios };
}

/** What the run stores under `config` in its checkpoints and `best.safetensors` (what `evaluateTask` rebuilds the model from). */
function storedConfig(options: RunTaskTuningOptions, tuning: TaskTuning, normalization: ImageNormalization | undefined, totalSteps: number) {
  const { hiddenMultiplier, labelSmoothing, gmCoord, checkpoint } = options;
  return {
    model: tuning.model.config,
    task: options.task,
    ...(normalization ? { imageNormalization: normalization } : {}),
    retrieval: tuning.retrieval,
    ...(tuning.attributes.fields.length > 0 ? { attributes: tuning.attributes } : {}),
    ...(tuning.imageHead ? { imageHead: tuning.imageHead } : {}),
    pooling: tuning.pooling,
    ...(hiddenMultiplier === undefined ? {} : { hiddenMultiplier }),
    ...(labelSmoothing ? { labelSmoothing } : {}),
    ...(options.imageTokenDrop ? { imageTokenDrop: options.imageTokenDrop } : {}),
    ...(options.classBalance ? { classBalance: options.classBalance } : {}),
    ...(options.weightAverage ? { weightAverage: options.weightAverage } : {}),
    batchSize: options.batchSize,
    totalSteps,
    learningRate: options.learningRate,
    seed: options.seed,
    blindImage: options.blindImage ?? false,
    ...(options.blindText ? { blindText: true } : {}),
    ...(gmCoord ? { gmCoord } : {}),
    ...(checkpoint ? { pretrained: checkpoint } : {}),
  };
}

function validateOptions(options: RunTaskTuningOptions): void {
  const { task, batchSize, epochs, steps, learningRate } = options;
  validateTaskSpec(task);
  checkTaskSamples(task, options.train, 'train');
  checkTaskSamples(task, options.validation, 'validation');
  if (options.validation.length === 0) throw new InvalidConfigError('validation', 0, 'at least one sample (model selection uses validation only)');
  if (options.wordVectors && options.checkpoint) {
    throw new InvalidConfigError(
      'wordVectors',
      options.wordVectors.source,
      'absent when tuning starts from a checkpoint (word vectors start a model from scratch)',
    );
  }
  if (!(Number.isInteger(batchSize) && batchSize >= 2)) throw new InvalidConfigError('batchSize', batchSize, 'an integer ≥ 2');
  if (options.train.length < batchSize) throw new InvalidConfigError('train', options.train.length, `at least batchSize = ${batchSize} samples`);
  if ((epochs === undefined) === (steps === undefined)) throw new InvalidConfigError('epochs, steps', { epochs, steps }, 'exactly one of them');
  if (epochs !== undefined && !(Number.isInteger(epochs) && epochs >= 1)) throw new InvalidConfigError('epochs', epochs, 'an integer ≥ 1');
  if (steps !== undefined && !(Number.isInteger(steps) && steps >= 1)) throw new InvalidConfigError('steps', steps, 'an integer ≥ 1');
  if (!(learningRate.base > 0 && Number.isFinite(learningRate.base)))
    throw new InvalidConfigError('learningRate.base', learningRate.base, 'a finite number > 0');
  const fraction = learningRate.warmupFraction;
  if (fraction !== undefined && !(fraction >= 0 && fraction <= 1)) throw new InvalidConfigError('learningRate.warmupFraction', fraction, 'a number in [0, 1]');
  if (options.sentenceDrop !== undefined && !(options.sentenceDrop >= 0 && options.sentenceDrop < 1)) {
    throw new InvalidConfigError('sentenceDrop', options.sentenceDrop, 'a probability in [0, 1)');
  }
  if (options.evaluateEvery !== undefined && !(Number.isInteger(options.evaluateEvery) && options.evaluateEvery >= 1)) {
    throw new InvalidConfigError('evaluateEvery', options.evaluateEvery, 'an integer ≥ 1');
  }
  const views = options.augmentViews;
  if (views !== undefined && !(Number.isInteger(views) && views >= 1)) throw new InvalidConfigError('augmentViews', views, 'an integer ≥ 1 (crops per image)');
  if (views !== undefined && options.image?.crop?.kind !== 'random-resized') {
    throw new InvalidConfigError('augmentViews', views, "absent unless image.crop is 'random-resized' (a centre crop has one view)");
  }
  const smoothing = options.labelSmoothing;
  if (smoothing !== undefined && !(smoothing >= 0 && smoothing < 1)) throw new InvalidConfigError('labelSmoothing', smoothing, 'a number in [0, 1) (0 = none)');
  if (smoothing && task.kind === 'retrieval') {
    throw new InvalidConfigError('labelSmoothing', smoothing, "0 for retrieval (it smooths a class head's targets; retrieval has none)");
  }
  const drop = options.imageTokenDrop;
  if (drop !== undefined && !(drop >= 0 && drop < 1)) throw new InvalidConfigError('imageTokenDrop', drop, 'a fraction in [0, 1) (0 = none)');
  if (drop && task.kind === 'retrieval') {
    throw new InvalidConfigError('imageTokenDrop', drop, '0 for retrieval (patch dropout is for tasks with a class head)');
  }
  const balance = options.classBalance;
  if (balance !== undefined && !(balance >= 0 && balance <= 1))
    throw new InvalidConfigError('classBalance', balance, 'a number in [0, 1] (0 = none, 1 = balanced)');
  if (balance && task.kind === 'retrieval')
    throw new InvalidConfigError('classBalance', balance, '0 for retrieval (it weights class targets; retrieval has none)');
  if (drop && options.blindImage) throw new InvalidConfigError('imageTokenDrop', drop, '0 with blindImage (a blind model has no image to drop from)');
  if (options.gmCoord && task.kind === 'retrieval') {
    throw new InvalidConfigError(
      'gmCoord',
      options.gmCoord,
      "undefined for retrieval (GM-Coord needs a class head to score each modality's unimodal prediction)",
    );
  }
}

function buildCoordinator(options: GmCoordOptions): Coordinator {
  const kind = options.strategy ?? 'ogm-ge';
  if (!(strategyKinds as readonly string[]).includes(kind)) throw new InvalidConfigError('gmCoord.strategy', kind, strategyKinds.join(', '));
  return createCoordinator({
    modalities: ['text', 'vision'],
    strategy: { kind, alpha: options.alpha, ...(options.noise === undefined ? {} : { noise: options.noise }) } as StrategyConfig,
    ...(options.emaDecay === undefined ? {} : { emaDecay: options.emaDecay }),
    ...(options.warmupSteps === undefined ? {} : { warmupSteps: options.warmupSteps }),
    ...(options.stopStep === undefined ? {} : { stopStep: options.stopStep }),
    ...(options.minCoefficient === undefined ? {} : { minCoefficient: options.minCoefficient }),
  });
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const round = (value: number): number => Math.round(value * 100) / 100;

/** The attribute targets with `classes` filled from the training samples when none are given. */
function withAttributeClasses(attributes: AttributeTargetOptions, train: readonly TaskSample[]): AttributeTargetOptions {
  return attributes.classes ? attributes : { ...attributes, classes: attributeClasses(attributes.fields ?? [], train) };
}
