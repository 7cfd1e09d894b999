import { AdamW, runTraining, SeededRandom, type RunTrainingOptions, type TrainingEvent, type TrainingRun, type TrainingStepEnd } from '@umd/core';
import {
  createBatchLoader,
  createImageTextCollate,
  type BatchLoader,
  type ImagePipeline,
  type ImageTextBatch,
  type Sample,
  type WordPieceTokenizer,
} from '@umd/data';
import { loadVisionStem, UmdModel, type UmdModelConfig } from '@umd/encoders';

import type { MrPretrainConfig } from './mr-pretrain-config.js';
import { mrPretrainCollatedStep } from './mr-pretrain-collated-step.js';
import { createMrPretraining, type MrPretraining } from './mr-pretraining.js';
import type { MrLearningRate, MrMetricsLine } from './run-mr-pretraining.js';

/** Options of {@link createMrTraining}. */
export interface CreateMrTrainingOptions<S extends Sample> {
  readonly model: UmdModelConfig;
  readonly config: MrPretrainConfig;
  readonly tokenizer: WordPieceTokenizer;
  /** Optimizer steps of the run (the masking schedules and the teacher's momentum span them). */
  readonly steps: number;
  readonly learningRate: MrLearningRate;
  /** Seeds the model, heads, masks and the loader's order. */
  readonly seed: number;
  /** Image-text samples the loader draws full batches from (captions, or a downstream training split's texts). */
  readonly samples: readonly S[];
  readonly batchSize: number;
  readonly pipeline: ImagePipeline;
}

/** The parts of an MR training run: one generator, the student with its heads and EMA teacher, AdamW, the loader. */
export interface MrTraining<S extends Sample> {
  readonly random: SeededRandom;
  readonly model: UmdModel;
  readonly pretraining: MrPretraining;
  readonly optimizer: AdamW;
  readonly loader: BatchLoader<S, ImageTextBatch<S>>;
  /** Trains through core's run harness: the MR step on the loader's batches, warm-up + cosine, exact resume. */
  run(options: MrRunOptions): Promise<TrainingRun>;
  dispose(): void;
}

/** Options of {@link MrTraining.run}: where and how the run keeps itself. */
export interface MrRunOptions {
  readonly outDir: string;
  readonly checkpointEvery: number;
  readonly keepCheckpoints: number;
  readonly resume?: boolean;
  /** Stored in every checkpoint. */
  readonly config: unknown;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: TrainingEvent) => void;
  /** Awaited before each step (e.g. pictures being written). */
  readonly beforeStep?: () => Promise<void>;
}

/**
 * Builds what MR pre-training and TD-Calib train: a fresh `UmdModel` (the vision stem loaded first) with the MR heads
 * and teacher of `config`, AdamW with MAE's β₂ 0.95 and weight decay 0.05 unless `learningRate` says otherwise, and a
 * seeded loader of full image-text batches (ITM needs B ≥ 2; step times stay comparable). `dispose` frees the tensors.
 */
export async function createMrTraining<S extends Sample>(options: CreateMrTrainingOptions<S>): Promise<MrTraining<S>> {
  const { model: modelConfig, config, tokenizer, learningRate } = options;
  const random = new SeededRandom(options.seed);
  await loadVisionStem(modelConfig.vision.stem);
  const model = new UmdModel(modelConfig, random);
  const { pad, unk, cls, sep, mask } = tokenizer.specialIds;
  const pretraining = createMrPretraining({
    model,
    config,
    random,
    totalSteps: options.steps,
    tokens: { maskTokenId: mask, specialTokenIds: [pad, unk, cls, sep, mask] },
  });
  const optimizer = new AdamW(model.parameters(), {
    learningRate: learningRate.base,
    beta2: learningRate.beta2 ?? 0.95,
    weightDecay: learningRate.weightDecay ?? 0.05,
  });
  const loader = createBatchLoader({
    samples: options.samples,
    batchSize: options.batchSize,
    seed: options.seed,
    dropLast: true,
    collate: createImageTextCollate<S>({ pipeline: options.pipeline, tokenizer, maxLength: modelConfig.text.maxPositions }),
  });
  const run = (run: MrRunOptions): Promise<TrainingRun> =>
    runTraining({
      outDir: run.outDir,
      model,
      extraModules: pretraining.teacher ? { teacher: pretraining.teacher.model } : {},
      optimizer,
      maxSteps: options.steps,
      schedule: mrSchedule(learningRate, options.steps),
      random,
      data: loader,
      checkpointEvery: run.checkpointEvery,
      keepCheckpoints: run.keepCheckpoints,
      ...(run.resume ? { resume: true } : {}),
      config: run.config,
      samplesPerStep: options.batchSize,
      metricsLine: mrMetricsLine,
      ...(run.signal ? { signal: run.signal } : {}),
      ...(run.onEvent ? { onEvent: run.onEvent } : {}),
      trainStep: async () => {
        await run.beforeStep?.();
        const { value } = await loader.next();
        return mrPretrainCollatedStep(pretraining, optimizer, value);
      },
    });
  return {
    random,
    model,
    pretraining,
    optimizer,
    loader,
    run,
    dispose: () => {
      optimizer.dispose();
      pretraining.dispose();
      model.dispose();
    },
  };
}

/** MR's learning rate over a run of `steps`: linear warm-up, then a half-cosine to `min` (pre-training and TD-Calib). */
export function mrSchedule(learningRate: MrLearningRate, steps: number): NonNullable<RunTrainingOptions['schedule']> {
  return {
    baseLearningRate: learningRate.base,
    schedule: { kind: 'cosine', warmupSteps: learningRate.warmupSteps, totalSteps: steps, minLearningRate: learningRate.min ?? 0 },
  };
}

/** The `metrics.jsonl` line of an MR step (pre-training and TD-Calib): `{ step, <term>…, total, lr, ms }`. */
export function mrMetricsLine(event: TrainingStepEnd): MrMetricsLine {
  return { step: event.step, ...event.terms, total: event.loss, lr: event.learningRate, ms: Math.round(event.stepMs * 100) / 100 };
}
