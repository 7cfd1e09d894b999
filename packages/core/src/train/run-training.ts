import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';

import { FileWriteError } from '../errors/file-write-error.js';
import { fileSystemReason } from '../errors/file-system-reason.js';
import { lockRunFolder, type RunFolderLock } from '../run/lock-run-folder.js';
import { keepJsonLinesUpTo } from './keep-json-lines-up-to.js';
import { trainLoop, type TrainEvent, type TrainLoopOptions, type TrainResult } from './train-loop.js';

/** The terms of one step's loss, stacked into one tensor so that the run reads them back once per step, after the loss. */
export interface StepTerms {
  readonly names: readonly string[];
  /** [names.length] the terms' values, in `names` order. */
  readonly values: tf.Tensor1D;
}

/** What one training step hands the harness. */
export interface TrainingStep<Info = undefined> {
  /** The scalar loss (read back and disposed by the loop). */
  readonly loss: tf.Scalar;
  /** The loss's terms, read back after the loss and disposed by the harness. */
  readonly terms?: StepTerms | undefined;
  /** Anything else the step reports on its `step-end` event (its epoch, its own timing, a coordinator's trace). */
  readonly info?: Info;
}

/** Core's `step-end` with the step's terms and info. */
export type TrainingStepEnd<Info = undefined> = Extract<TrainEvent, { type: 'step-end' }> & {
  readonly terms: Readonly<Record<string, number>>;
  readonly info?: Info;
};

/** Events of {@link runTraining}: the loop's, with terms and info on `step-end`. */
export type TrainingEvent<Info = undefined> = Exclude<TrainEvent, { type: 'step-end' }> | TrainingStepEnd<Info>;

/** Options of {@link runTraining}: the loop's, less what the harness owns (checkpoint folder, events, the step's shape). */
export interface RunTrainingOptions<Info = undefined> extends Omit<TrainLoopOptions, 'trainStep' | 'onEvent' | 'checkpoint'> {
  /** The run's folder: `metrics.jsonl`, `checkpoints/` and whatever the caller writes there. */
  readonly outDir: string;
  /** A resumable checkpoint every this many steps (and at the end). */
  readonly checkpointEvery: number;
  /** Resumable checkpoints kept. Default 3. */
  readonly keepCheckpoints?: number;
  /** One step (1-based): draw the batch, compute the loss, apply the gradients. */
  readonly trainStep: (step: number) => TrainingStep<Info> | Promise<TrainingStep<Info>>;
  /** The `metrics.jsonl` line of a step. Default `{ step, …terms, loss, lr, ms }`. */
  readonly metricsLine?: (event: TrainingStepEnd<Info>) => object;
  /** Other JSON-lines logs (objects with a `step`) rewound with `metrics.jsonl` on resume and emptied on a fresh start. */
  readonly logs?: readonly string[];
  /**
   * Hold the exclusive lock of `outDir` for the run (`lockRunFolder`): a second run into it is refused, naming the
   * holder. Default true; false when the caller already holds the lock of this very folder.
   */
  readonly lock?: boolean;
  /** Receives what the lock did besides taking it (a stale lock taken over). */
  readonly onLog?: (line: string) => void;
  readonly onEvent?: (event: TrainingEvent<Info>) => void;
}

/** What {@link runTraining} returns: the loop's result and where the run wrote. */
export interface TrainingRun extends TrainResult {
  /** One JSON object per step. */
  readonly metricsPath: string;
  readonly checkpointDir: string;
}

/**
 * The run harness every stage trains through: it owns `outDir` for the run — its lock, `checkpoints/` (every
 * `checkpointEvery` steps, the newest `keepCheckpoints` kept, damaged ones set aside and orphan temp files removed on
 * resume: see {@link trainLoop}), and `metrics.jsonl` (one line per step, rewound with `logs` to the checkpoint on
 * resume, emptied on a fresh start) — and reads each step's terms back once, after the loss, so a step costs one sync.
 * The caller keeps only its model, its step and its config.
 *
 * @throws RunFolderLockedError when another live run holds `outDir`; FileWriteError when it cannot be created or a
 *   log cannot be written; what {@link trainLoop} throws
 */
export async function runTraining<Info = undefined>(options: RunTrainingOptions<Info>): Promise<TrainingRun> {
  const { outDir, trainStep, metricsLine = defaultMetricsLine, logs = [] } = options;
  const checkpointDir = path.join(outDir, 'checkpoints');
  const metricsPath = path.join(outDir, 'metrics.jsonl');
  const lock: RunFolderLock | undefined = options.lock === false ? undefined : await lockRunFolder(outDir, options.onLog ? { onLog: options.onLog } : {});
  let pending: { terms: StepTerms | undefined; info: Info | undefined } | undefined;
  try {
    try {
      mkdirSync(checkpointDir, { recursive: true });
    } catch (error) {
      throw new FileWriteError(checkpointDir, `Cannot create ${checkpointDir}: ${fileSystemReason(error)}`, { cause: error });
    }
    const onEvent = (event: TrainEvent): void => {
      if (event.type === 'train-start') for (const file of [metricsPath, ...logs]) keepJsonLinesUpTo(file, event.startStep);
      if (event.type !== 'step-end') {
        options.onEvent?.(event);
        return;
      }
      const current = pending;
      pending = undefined;
      const terms = readTerms(current?.terms);
      const stepEnd: TrainingStepEnd<Info> = { ...event, terms, ...(current?.info === undefined ? {} : { info: current.info }) };
      appendJsonLine(metricsPath, metricsLine(stepEnd));
      options.onEvent?.(stepEnd);
    };
    const { outDir: _outDir, checkpointEvery, keepCheckpoints, metricsLine: _line, logs: _logs, lock: _lock, onLog: _onLog, ...loop } = options;
    const result = await trainLoop({
      ...loop,
      checkpoint: { dir: checkpointDir, every: checkpointEvery, keepLast: keepCheckpoints ?? 3 },
      onEvent,
      trainStep: async (step) => {
        const out = await trainStep(step);
        pending = { terms: out.terms, info: out.info };
        return out.loss;
      },
    });
    return { ...result, metricsPath, checkpointDir };
  } finally {
    pending?.terms?.values.dispose();
    await lock?.release();
  }
}

/**
 * Appends one JSON object as a line to a run's log.
 *
 * @throws FileWriteError naming the file and the cause
 */
export function appendJsonLine(file: string, value: object): void {
  try {
    appendFileSync(file, `${JSON.stringify(value)}\n`);
  } catch (error) {
    throw new FileWriteError(file, `Cannot append to ${file}: ${fileSystemReason(error)}`, { cause: error });
  }
}

/**
 * Stacks a step's loss terms (scalars; undefined ones left out) into one {@link StepTerms} and disposes the scalars.
 *
 * @returns undefined when no term is defined
 */
export function stackTerms<Name extends string>(terms: Readonly<Partial<Record<Name, tf.Scalar>>>): (StepTerms & { readonly names: Name[] }) | undefined {
  const names = (Object.keys(terms) as Name[]).filter((name) => terms[name] !== undefined);
  const stacked = names.length > 0 ? { names, values: tf.stack(names.map((name) => terms[name]!)) as tf.Tensor1D } : undefined;
  tf.dispose(Object.values(terms) as tf.Scalar[]);
  return stacked;
}

/** The terms' values by name (already computed: the loop read the loss first); disposes the stacked tensor. */
function readTerms(terms: StepTerms | undefined): Record<string, number> {
  const values: Record<string, number> = {};
  if (!terms) return values;
  const data = terms.values.dataSync();
  terms.names.forEach((name, i) => (values[name] = data[i]!));
  terms.values.dispose();
  return values;
}

function defaultMetricsLine(event: TrainingStepEnd<unknown>): object {
  return { step: event.step, ...event.terms, loss: event.loss, lr: event.learningRate, ms: Math.round(event.stepMs * 100) / 100 };
}
