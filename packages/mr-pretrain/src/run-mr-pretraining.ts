import { mkdirSync } from 'node:fs';
import path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, SeededRandom, type TrainEvent } from '@umd/core';
import { createImagePipeline, type CaptionSample, type ImagePipelineConfig, type WordPieceTokenizer } from '@umd/data';

import { createMrTraining } from './create-mr-training.js';
import type { MrPretrainConfig, MrTerm } from './mr-pretrain-config.js';
import type { MrPretraining } from './mr-pretraining.js';
import { randomPatchMasking, type UmdModelConfig } from '@umd/encoders';
import { reconstructionGrid, writeGridPng, type ReconstructionInputs } from './reconstruction-grid.js';

/** Learning rate: linear warm-up from 0 to `base`, then a half-cosine to `min` at the last step (MAE's `lr_sched`). */
export interface MrLearningRate {
  readonly base: number;
  readonly warmupSteps: number;
  /** Default 0. */
  readonly min?: number;
  /** AdamW's decoupled weight decay. Default 0.05 (MAE). */
  readonly weightDecay?: number;
  /** AdamW's β₂. Default 0.95 (MAE). */
  readonly beta2?: number;
}

/** Options of {@link runMrPretraining}. */
export interface RunMrPretrainingOptions {
  /** The student's encoders (e.g. `encoderPresets.tiny`). */
  readonly model: UmdModelConfig;
  readonly config: MrPretrainConfig;
  /** Image-caption pairs: MedPix train captions, phantom captions, … (never evaluation splits). */
  readonly samples: readonly CaptionSample[];
  /** Its vocabulary must fit `model.text.vocabSize`; its `[MASK]` and special ids drive token masking. */
  readonly tokenizer: WordPieceTokenizer;
  /** Image pipeline settings besides size and channels (taken from `model.vision`). Default: centre crop, grey/ImageNet normalisation. */
  readonly image?: Omit<ImagePipelineConfig, 'size' | 'channels'>;
  readonly batchSize: number;
  /** Optimizer steps of the whole run (the schedules span them; a resumed run continues towards the same number). */
  readonly steps: number;
  readonly learningRate: MrLearningRate;
  /** Seeds the model, heads, masks and the loader's order. */
  readonly seed: number;
  /** Receives `metrics.jsonl`, `checkpoints/` and `pictures/`. */
  readonly outDir: string;
  /** Checkpoint every this many steps (and at the end). */
  readonly checkpointEvery: number;
  /** Checkpoints kept. Default 3. */
  readonly keepCheckpoints?: number;
  /** Continue from the newest checkpoint in `outDir/checkpoints` (a fresh start if there is none). */
  readonly resume?: boolean;
  /** A reconstruction picture every this many steps (and after the last step); 0 = none. Needs L_MIM. Default 0. */
  readonly pictureEvery?: number;
  /** Images in the pictures (rows). Default 8. */
  readonly pictureImages?: number;
  /** Stops after the current step, writing a checkpoint first. */
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: MrPretrainEvent) => void;
}

/** `step-end` of core's loop with each enabled term's (unweighted) value of that step. */
export type MrStepEndEvent = Extract<TrainEvent, { type: 'step-end' }> & { readonly terms: Partial<Record<MrTerm, number>> };

/** Events of a pre-training run, noun-verb named: core's loop events (with terms on `step-end`) and pictures. */
export type MrPretrainEvent =
  Exclude<TrainEvent, { type: 'step-end' }> | MrStepEndEvent | { readonly type: 'picture-save'; readonly step: number; readonly path: string };

export interface MrPretrainingRun {
  readonly step: number;
  readonly reason: 'completed' | 'aborted';
  readonly lastCheckpoint?: string;
  /** One JSON object per step: `{ step, <term>…, total, lr, ms }`. */
  readonly metricsPath: string;
  readonly checkpointDir: string;
  /** Pictures written in this session. */
  readonly pictures: readonly string[];
}

/** One line of `metrics.jsonl`. */
export type MrMetricsLine = { readonly step: number; readonly total: number; readonly lr: number; readonly ms: number } & Partial<Record<MrTerm, number>>;

/**
 * Runs MR pre-training end to end on image-caption pairs: a seeded, prefetching loader (`@umd/data`), a fresh
 * `UmdModel` with the enabled heads, AdamW with warm-up + cosine, and core's `trainLoop` driving
 * {@link mrPretrainStep}. The EMA teacher is checkpointed as `extraModules.teacher` and the loader position as
 * `data`, so `resume` continues exactly (same following losses as an uninterrupted run). Writes
 * `outDir/metrics.jsonl` (one line per step; on resume, lines after the checkpoint are dropped), checkpoints in
 * `outDir/checkpoints/`, and reconstruction pictures in `outDir/pictures/step-NNNNNN.png`.
 *
 * Reports through `onEvent` only (never the console). Frees every tensor it creates.
 *
 * @throws InvalidConfigError for an invalid option (tokenizer larger than the model's vocabulary, pictures without L_MIM, …)
 */
export async function runMrPretraining(options: RunMrPretrainingOptions): Promise<MrPretrainingRun> {
  const { model: modelConfig, config, tokenizer, batchSize, steps, learningRate, outDir } = options;
  const pictureEvery = options.pictureEvery ?? 0;
  if (tokenizer.vocabSize > modelConfig.text.vocabSize) {
    throw new InvalidConfigError('tokenizer', tokenizer.vocabSize, `a vocabulary of at most model.text.vocabSize = ${modelConfig.text.vocabSize}`);
  }
  if (!(Number.isInteger(pictureEvery) && pictureEvery >= 0)) throw new InvalidConfigError('pictureEvery', pictureEvery, 'an integer ≥ 0');
  if (pictureEvery > 0 && !config.terms.mim) throw new InvalidConfigError('pictureEvery', pictureEvery, '0 when L_MIM is off');
  if (!(Number.isInteger(batchSize) && batchSize >= 2)) throw new InvalidConfigError('batchSize', batchSize, 'an integer ≥ 2');

  const pictureDir = path.join(outDir, 'pictures');
  if (pictureEvery > 0) mkdirSync(pictureDir, { recursive: true });

  const { imageSize, channels } = modelConfig.vision;
  const pipeline = createImagePipeline({ ...options.image, size: imageSize, channels: channels as 1 | 3 });
  const parts = await createMrTraining({ ...options, config, model: modelConfig, pipeline });
  const { pretraining } = parts;
  const pictureInputs = pictureEvery > 0 ? await loadPictureInputs(options, pretraining) : undefined;

  // Pictures are written while the next steps run; a step waits for the previous ones first.
  let writes: Promise<void>[] = [];
  const pictures: string[] = [];
  const writePicture = (step: number): void => {
    const file = path.join(pictureDir, `step-${String(step).padStart(6, '0')}.png`);
    const image = reconstructionGrid(pretraining, pictureInputs!);
    writes.push(
      writeGridPng(image, file).then(() => {
        pictures.push(file);
        options.onEvent?.({ type: 'picture-save', step, path: file });
      }),
    );
  };
  const flushWrites = async (): Promise<void> => {
    const current = writes;
    writes = [];
    await Promise.all(current);
  };

  try {
    const result = await parts.run({
      outDir,
      checkpointEvery: options.checkpointEvery,
      keepCheckpoints: options.keepCheckpoints ?? 3,
      ...(options.resume ? { resume: true } : {}),
      config: { model: modelConfig, mrPretrain: config, batchSize, steps, learningRate, seed: options.seed },
      ...(options.signal ? { signal: options.signal } : {}),
      onEvent: (event) => {
        if (event.type !== 'step-end') return options.onEvent?.(event);
        options.onEvent?.(event as MrStepEndEvent);
        if (pictureInputs && (event.step % pictureEvery === 0 || event.step === steps)) writePicture(event.step);
      },
      beforeStep: flushWrites,
    });
    await flushWrites();
    const { step, reason, lastCheckpoint, metricsPath, checkpointDir } = result;
    return { step, reason, ...(lastCheckpoint ? { lastCheckpoint } : {}), metricsPath, checkpointDir, pictures };
  } finally {
    await Promise.allSettled(writes);
    if (pictureInputs) tf.dispose([pictureInputs.images, pictureInputs.tokenIds, pictureInputs.attentionMask]);
    parts.dispose();
  }
}

/** The fixed picture set: `pictureImages` samples spread over the list, centre-cropped, with one fixed patch masking. */
async function loadPictureInputs(options: RunMrPretrainingOptions, pretraining: MrPretraining): Promise<ReconstructionInputs> {
  const { samples, tokenizer, model } = options;
  const count = Math.min(options.pictureImages ?? 8, samples.length);
  const stride = Math.max(1, Math.floor(samples.length / count));
  const chosen = Array.from({ length: count }, (_, i) => samples[i * stride]!);
  const { imageSize, patchSize, channels } = model.vision;
  const pipeline = createImagePipeline({ ...options.image, crop: { kind: 'centre' }, size: imageSize, channels: channels as 1 | 3 });
  const loaded = await Promise.all(chosen.map((sample) => pipeline.load(sample.image)));
  const pixels = new Float32Array(count * imageSize * imageSize * channels);
  loaded.forEach((image, i) => pixels.set(image.data, i * image.data.length));
  const text = tokenizer.encodeBatch(
    chosen.map((sample) => sample.caption),
    { maxLength: model.text.maxPositions },
  );
  const [B, T] = text.inputIds.shape as [number, number];
  const masking = randomPatchMasking(count, (imageSize / patchSize) ** 2, {
    ratio: pretraining.config.imageMaskRatio,
    random: new SeededRandom(`mr-pretrain/pictures:${options.seed}`), // not the run's generator: pictures change nothing
  });
  return {
    images: tf.tensor4d(pixels, [count, imageSize, imageSize, channels]),
    tokenIds: tf.tensor2d(text.inputIds.data, [B, T], 'int32'),
    attentionMask: tf.tensor2d(Float32Array.from(text.attentionMask.data), [B, T]),
    masking,
    normalization: pipeline.normalization,
  };
}
