import { readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';

import { assignWeights, readCheckpoint, saveCheckpoint, tensorFromRecord, type LoadedCheckpoint } from '../checkpoint/checkpoint.js';
import type { TensorRecord } from '../checkpoint/safetensors.js';
import { CheckpointDamagedError } from '../errors/checkpoint-damaged-error.js';
import { CheckpointFormatError } from '../errors/checkpoint-format-error.js';
import { CheckpointMismatchError } from '../errors/checkpoint-mismatch-error.js';
import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { NonFiniteLossError } from '../errors/non-finite-loss-error.js';
import type { Module } from '../nn/module.js';
import type { AdamW } from '../optim/adamw.js';
import { learningRateAt, validateLrSchedule, type LrSchedule } from '../optim/lr-schedule.js';
import type { SeededRandom } from '../random/seeded-random.js';
import { processRuns } from '../run/process-runs.js';

/** Something whose position must survive a resume (a data loader): plain-JSON state out, state in. */
export interface Resumable {
  state(): unknown;
  restore(state: unknown): void;
}

/** Events of a training run, noun-verb named. */
export type TrainEvent =
  | { readonly type: 'train-start'; readonly startStep: number; readonly maxSteps: number; readonly resumedFrom?: string }
  | {
      readonly type: 'step-end';
      /** 1-based count of completed optimizer steps. */
      readonly step: number;
      readonly maxSteps: number;
      readonly loss: number;
      readonly learningRate: number;
      readonly stepMs: number;
      /** `samplesPerStep` / step time, when `samplesPerStep` is given. */
      readonly samplesPerSecond?: number;
      /** Mean step time of this session × remaining steps. */
      readonly etaMs: number;
      readonly numTensors: number;
    }
  | { readonly type: 'checkpoint-save'; readonly step: number; readonly path: string; readonly ms: number }
  /**
   * A resume found the newest checkpoint unusable (damaged, unreadable, or past the plan's last step), renamed it to
   * `movedTo` (kept for inspection, never deleted) and went on to the next older one.
   */
  | { readonly type: 'checkpoint-set-aside'; readonly path: string; readonly movedTo: string; readonly reason: string }
  /** Temp files of checkpoint writes whose process is gone (killed mid-write), removed at the start. */
  | { readonly type: 'temp-files-remove'; readonly paths: readonly string[] }
  | { readonly type: 'train-end'; readonly step: number; readonly reason: 'completed' | 'aborted'; readonly lastCheckpoint?: string };

export interface TrainLoopOptions {
  /** Its parameters are checkpointed and restored under their hierarchical names. */
  readonly model: Module;
  /**
   * Other modules whose weights belong to the run but not to the model (an EMA teacher): checkpointed under
   * `extra/<key>/<parameter name>` and restored on resume.
   */
  readonly extraModules?: Readonly<Record<string, Module>>;
  readonly optimizer: AdamW;
  /**
   * One training step (1-based `step`): draw the batch, compute loss and gradients, apply them. Synchronous tensor
   * work belongs in `tf.tidy`; async loading may come first. Returns the scalar loss, which the loop reads (the
   * step's one sync point), checks for NaN/Inf and disposes.
   */
  readonly trainStep: (step: number) => tf.Scalar | Promise<tf.Scalar>;
  /** Total optimizer steps. */
  readonly maxSteps: number;
  /** The learning rate at each step comes from this schedule (default: constant `optimizer.learningRate`). */
  readonly schedule?: { readonly baseLearningRate: number; readonly schedule: LrSchedule };
  /** The run's generator (dropout, masking, shuffling seeds): its state is checkpointed for exact resume. */
  readonly random?: SeededRandom;
  /** The data loader (or anything else) whose position must be restored on resume. */
  readonly data?: Resumable;
  /** Checkpoints: `dir/step-000123.safetensors` every `every` steps and at the end; keeps the newest `keepLast` (default 3). */
  readonly checkpoint?: { readonly dir: string; readonly every: number; readonly keepLast?: number };
  /** `true`: continue from the newest checkpoint in `checkpoint.dir` (a fresh start if there is none); a path: that file. */
  readonly resume?: boolean | string;
  /** The resolved config, stored in every checkpoint. */
  readonly config?: unknown;
  /** Samples per optimizer step, for throughput events. */
  readonly samplesPerStep?: number;
  readonly onEvent?: (event: TrainEvent) => void;
  /** Stops after the current step, writing a checkpoint first (e.g. on SIGINT). */
  readonly signal?: AbortSignal;
  /** @internal */
  readonly _internal?: { readonly now?: () => number };
}

export interface TrainResult {
  /** Completed optimizer steps. */
  readonly step: number;
  readonly reason: 'completed' | 'aborted';
  /** Loss of every step run in this session, in order (index 0 is step startStep + 1). */
  readonly losses: number[];
  readonly lastCheckpoint?: string;
}

const checkpointPattern = /^step-(\d+)\.safetensors$/;
const extraPattern = /^extra\/([^/]+)\/(.+)$/;

/** The model's parameters under their names, plus each extra module's under `extra/<key>/`. */
function checkpointWeights(model: Module, extraModules: Readonly<Record<string, Module>> | undefined): Map<string, tf.Tensor> {
  const weights: Map<string, tf.Tensor> = model.parameterMap();
  for (const [key, module] of Object.entries(extraModules ?? {})) {
    for (const [name, variable] of module.parameterMap()) weights.set(`extra/${key}/${name}`, variable);
  }
  return weights;
}

/**
 * A small generic training loop, in nanoGPT's order: learning rate for the step, the step, a loss read-back with a
 * NaN/Inf guard, events, and checkpoints every N steps. Resumes exactly: weights, optimizer moments and step,
 * generator state and data position all come back, so an interrupted run continues with the same losses.
 *
 * @throws NonFiniteLossError when a step's loss is NaN or infinite; no checkpoint is written after that step, so the
 *   last good one survives
 * @throws CheckpointMismatchError when the resume checkpoint does not fit the model or optimizer
 */
export async function trainLoop(options: TrainLoopOptions): Promise<TrainResult> {
  const { model, optimizer, maxSteps, checkpoint } = options;
  const now = options._internal?.now ?? (() => performance.now());
  if (!Number.isInteger(maxSteps) || maxSteps < 0) throw new InvalidConfigError('maxSteps', maxSteps, 'an integer ≥ 0');
  if (checkpoint && !(Number.isInteger(checkpoint.every) && checkpoint.every > 0)) {
    throw new InvalidConfigError('checkpoint.every', checkpoint.every, 'an integer ≥ 1');
  }
  if (options.schedule) validateLrSchedule(options.schedule.schedule, options.schedule.baseLearningRate);

  let startStep = 0;
  let lastCheckpoint: string | undefined;
  if (checkpoint) {
    const removed = await removeOrphanTempFiles(checkpoint.dir);
    if (removed.length > 0) options.onEvent?.({ type: 'temp-files-remove', paths: removed });
  }
  const resume = await findResumeCheckpoint(options);
  const resumePath = resume?.path;
  if (resume) {
    startStep = restoreCheckpoint(resume.path, resume.loaded, options);
    lastCheckpoint = resume.path;
  }
  options.onEvent?.({ type: 'train-start', startStep, maxSteps, ...(resumePath ? { resumedFrom: resumePath } : {}) });

  const save = async (step: number): Promise<void> => {
    if (!checkpoint) return;
    const started = now();
    const file = path.join(checkpoint.dir, `step-${String(step).padStart(6, '0')}.safetensors`);
    await saveCheckpoint(file, {
      weights: checkpointWeights(model, options.extraModules),
      optimizerWeights: optimizer.weights(),
      metadata: {
        step,
        config: options.config,
        optimizerState: optimizer.state(),
        ...(options.random ? { random: options.random.state() } : {}),
        ...(options.data ? { data: options.data.state() } : {}),
      },
    });
    lastCheckpoint = file;
    await pruneCheckpoints(checkpoint.dir, checkpoint.keepLast ?? 3);
    options.onEvent?.({ type: 'checkpoint-save', step, path: file, ms: now() - started });
  };

  const losses: number[] = [];
  let elapsedMs = 0;
  let step = startStep;
  while (step < maxSteps) {
    // Let timers and signal handlers (Ctrl-C, a time budget) run between steps: a step's promises alone resolve as
    // microtasks and would starve them until the next file write.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (options.signal?.aborted) break;
    const learningRate = options.schedule ? learningRateAt(step, options.schedule.baseLearningRate, options.schedule.schedule) : optimizer.learningRate;
    optimizer.setLearningRate(learningRate);
    const started = now();
    const lossTensor = await options.trainStep(step + 1);
    const loss = (await lossTensor.data())[0]!; // the step's sync point
    lossTensor.dispose();
    const stepMs = now() - started;
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(step + 1, loss, lastCheckpoint);
    step += 1;
    elapsedMs += stepMs;
    losses.push(loss);
    const sessionSteps = step - startStep;
    options.onEvent?.({
      type: 'step-end',
      step,
      maxSteps,
      loss,
      learningRate,
      stepMs,
      ...(options.samplesPerStep ? { samplesPerSecond: (options.samplesPerStep * 1000) / stepMs } : {}),
      etaMs: (elapsedMs / sessionSteps) * (maxSteps - step),
      numTensors: tf.memory().numTensors,
    });
    if (checkpoint && step % checkpoint.every === 0 && step < maxSteps) await save(step);
  }
  const reason = step >= maxSteps ? 'completed' : 'aborted';
  if (checkpoint && step > startStep) await save(step);
  options.onEvent?.({ type: 'train-end', step, reason, ...(lastCheckpoint ? { lastCheckpoint } : {}) });
  return { step, reason, losses, ...(lastCheckpoint ? { lastCheckpoint } : {}) };
}

/** The newest `step-*.safetensors` in `dir`, or undefined when there is none (or the folder does not exist). */
export async function latestCheckpoint(dir: string): Promise<string | undefined> {
  const files = await listCheckpoints(dir);
  return files.length > 0 ? path.join(dir, files[files.length - 1]!.name) : undefined;
}

/**
 * The checkpoint a run resumes from, read and verified. `resume: true` takes the newest usable one in
 * `checkpoint.dir`: a newest file that is damaged, unreadable or past `maxSteps` is set aside (renamed to
 * `<file>.damaged`, with an event naming it and why) and the next older one is tried. An explicit path is used as
 * it is, or fails with the reason.
 */
async function findResumeCheckpoint(options: TrainLoopOptions): Promise<{ path: string; loaded: LoadedCheckpoint } | undefined> {
  if (typeof options.resume === 'string') {
    const loaded = await readCheckpoint(options.resume);
    if (stepProblem(loaded, options.maxSteps)) {
      throw new CheckpointMismatchError(options.resume, [
        { kind: 'field', name: 'step', expected: `at most ${options.maxSteps} (the plan's last step)`, checkpoint: String(loaded.metadata.step) },
      ]);
    }
    return { path: options.resume, loaded };
  }
  if (options.resume !== true) return undefined;
  if (!options.checkpoint) throw new InvalidConfigError('resume', true, "a checkpoint path, or 'checkpoint.dir' to search");
  const files = await listCheckpoints(options.checkpoint.dir);
  for (const { name } of files.reverse()) {
    const file = path.join(options.checkpoint.dir, name);
    let reason: string | undefined;
    let loaded: LoadedCheckpoint | undefined;
    try {
      loaded = await readCheckpoint(file);
      reason = stepProblem(loaded, options.maxSteps);
    } catch (error) {
      if (!(error instanceof CheckpointDamagedError || error instanceof CheckpointFormatError)) throw error;
      reason = error.message;
    }
    if (reason === undefined) return { path: file, loaded: loaded! };
    const movedTo = await setAside(file);
    options.onEvent?.({ type: 'checkpoint-set-aside', path: file, movedTo, reason });
  }
  return undefined;
}

/** Why a checkpoint cannot continue a plan of `maxSteps`, or undefined when it can. */
function stepProblem(loaded: LoadedCheckpoint, maxSteps: number): string | undefined {
  const { step } = loaded.metadata;
  return step > maxSteps ? `its step ${step} is past the plan's last step ${maxSteps}` : undefined;
}

/** Renames `file` to `<file>.damaged` (`.damaged-2`, … when taken); returns the new path. */
async function setAside(file: string): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const target = `${file}.damaged${attempt === 1 ? '' : `-${attempt}`}`;
    try {
      await stat(target);
    } catch {
      await rename(file, target);
      return target;
    }
  }
}

const tempPattern = /^\..+\.tmp-(\d+)-[0-9a-f]+$/;

/** Removes `writeFileAtomic` temp files in `dir` whose writing process no longer runs; returns their paths. */
async function removeOrphanTempFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(tempPattern.exec(name)?.[1]);
    if (!Number.isInteger(pid) || processRuns(pid)) continue;
    await rm(path.join(dir, name), { force: true });
    removed.push(path.join(dir, name));
  }
  return removed;
}

function restoreCheckpoint(file: string, loaded: LoadedCheckpoint, options: TrainLoopOptions): number {
  const { metadata } = loaded;
  if (options.random && !metadata.random) {
    throw new CheckpointMismatchError(file, [{ kind: 'field', name: 'random', expected: 'generator state', checkpoint: 'absent' }]);
  }
  const modelWeights: Record<string, TensorRecord> = {};
  const extraWeights = new Map<string, Record<string, TensorRecord>>();
  for (const [name, record] of Object.entries(loaded.weights)) {
    const match = extraPattern.exec(name);
    if (!match) modelWeights[name] = record;
    else extraWeights.set(match[1]!, { ...extraWeights.get(match[1]!), [match[2]!]: record });
  }
  const problems = Object.keys(options.extraModules ?? {})
    .filter((key) => !extraWeights.has(key))
    .map((key) => ({ kind: 'missing' as const, name: `extra/${key}/…`, expected: `the weights of extra module '${key}'` }));
  if (problems.length > 0) throw new CheckpointMismatchError(file, problems);
  assignWeights(options.model.parameterMap(), modelWeights, file);
  for (const [key, module] of Object.entries(options.extraModules ?? {})) {
    assignWeights(module.parameterMap(), extraWeights.get(key)!, `${file} (extra/${key})`);
  }
  const slots: Record<string, tf.Tensor> = {};
  for (const [name, record] of Object.entries(loaded.optimizerWeights)) slots[name] = tensorFromRecord(record);
  try {
    const state = (metadata.optimizerState ?? { step: metadata.step }) as { step: number };
    options.optimizer.restore(slots, state);
  } finally {
    tf.dispose(slots);
  }
  if (options.random && metadata.random) options.random.restore(metadata.random);
  if (options.data && metadata.data !== undefined) options.data.restore(metadata.data);
  return metadata.step;
}

async function listCheckpoints(dir: string): Promise<{ name: string; step: number }[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return names
    .map((name) => ({ name, match: checkpointPattern.exec(name) }))
    .filter((entry): entry is { name: string; match: RegExpExecArray } => entry.match !== null)
    .map((entry) => ({ name: entry.name, step: Number(entry.match[1]) }))
    .sort((a, b) => a.step - b.step);
}

async function pruneCheckpoints(dir: string, keepLast: number): Promise<void> {
  const files = await listCheckpoints(dir);
  for (const file of files.slice(0, Math.max(0, files.length - keepLast))) {
    await rm(path.join(dir, file.name), { force: true });
  }
}
