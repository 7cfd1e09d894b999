import { readFileSync } from 'node:fs';

import * as tf from '@tensorflow/tfjs-core';
import {
  assignWeights,
  saveCheckpoint,
  tensorFromRecord,
  CheckpointFormatError,
  CheckpointMismatchError,
  decodeSafetensors,
  type CheckpointMetadata,
  type LoadedCheckpoint,
  type TensorRecord,
} from '@umd/core';
import type { ImageNormalization } from '@umd/data';
import type { UmdModelConfig } from '@umd/encoders';
import { mrTerms, type MrPretrainConfig, type MrPretraining, type MrTerm } from '@umd/mr-pretrain';

/** Where the EMA teacher's weights sit in a checkpoint (core's `trainLoop` writes `extraModules.teacher` there). */
export const teacherPrefix = 'extra/teacher/';

/** What an MR pre-training (or calibration) checkpoint says about itself in `__metadata__.umd`. */
export interface MrCheckpointInfo {
  /** `config.model`: the architecture. */
  readonly model: UmdModelConfig;
  /** `config.mrPretrain`: the objectives and heads. */
  readonly mrPretrain: MrPretrainConfig;
  /** `config.learningRate.base` of the run that wrote it, when stored. */
  readonly baseLearningRate?: number;
  /** `imageNormalization`: the input statistics the weights were trained with, when stored (calibrated checkpoints). */
  readonly imageNormalization?: ImageNormalization;
}

/**
 * Reads the architecture and MR config that `runMrPretraining` (`config.model`, `config.mrPretrain`) or `calibrate`
 * stored in a checkpoint's metadata.
 *
 * @throws CheckpointFormatError when the metadata lacks them (not an MR pre-training checkpoint)
 */
export function mrCheckpointInfo(metadata: CheckpointMetadata, source: string): MrCheckpointInfo {
  const stored = metadata as CheckpointMetadata & { imageNormalization?: ImageNormalization };
  const config = stored.config as { model?: UmdModelConfig; mrPretrain?: MrPretrainConfig; learningRate?: { base?: number } } | undefined;
  if (!config?.model || !config.mrPretrain) {
    throw new CheckpointFormatError(
      source,
      'its metadata has no config.model and config.mrPretrain: TD-Calib starts from an MR pre-training checkpoint (runMrPretraining) or a calibrated one',
    );
  }
  const base = config.learningRate?.base;
  return {
    model: config.model,
    mrPretrain: config.mrPretrain,
    ...(typeof base === 'number' ? { baseLearningRate: base } : {}),
    ...(stored.imageNormalization ? { imageNormalization: stored.imageNormalization } : {}),
  };
}

/** `config` with the given terms switched (only switching off is useful: a switched-on term needs a head in the checkpoint). */
export function withTerms(config: MrPretrainConfig, terms: Partial<Record<MrTerm, boolean>> | undefined): MrPretrainConfig {
  if (!terms) return config;
  return { ...config, terms: Object.fromEntries(mrTerms.map((term) => [term, terms[term] ?? config.terms[term]])) as Record<MrTerm, boolean> };
}

/**
 * Synchronous `readCheckpoint` (for factories that cannot await): the whole file is read and decoded.
 *
 * @throws CheckpointFormatError for a file without UMD metadata or with unreadable metadata
 */
export function readCheckpointSync(path: string): LoadedCheckpoint {
  const file = decodeSafetensors(readFileSync(path), path);
  if (file.metadata['format'] !== 'umd-ts-checkpoint') throw new CheckpointFormatError(path, 'no UMD checkpoint metadata (format "umd-ts-checkpoint")');
  let metadata: CheckpointMetadata;
  try {
    metadata = JSON.parse(file.metadata['umd'] ?? '') as CheckpointMetadata;
  } catch (error) {
    throw new CheckpointFormatError(path, '__metadata__.umd is missing or not valid JSON', { cause: error });
  }
  const weights: Record<string, TensorRecord> = {};
  for (const [name, record] of Object.entries(file.tensors)) if (!name.startsWith('optimizer/')) weights[name] = record;
  return { weights, optimizerWeights: {}, metadata };
}

/**
 * Copies an MR checkpoint's weights into `pretraining`: the student's parameters whose names pass `select` (default
 * all: `vision.*`, `text.*`, `fusion.*` and the enabled heads), and the whole EMA teacher from `extra/teacher/*`
 * when the config uses one. Heads of terms that are switched off stay unused in the file. Checks everything first, so
 * a failed load changes nothing.
 *
 * @throws CheckpointMismatchError listing every parameter the checkpoint lacks, and every shape or dtype difference
 */
export function loadMrWeights(
  pretraining: MrPretraining,
  weights: Readonly<Record<string, TensorRecord>>,
  source: string,
  select: (name: string) => boolean = () => true,
): void {
  const student = new Map([...pretraining.model.parameterMap()].filter(([name]) => select(name)));
  const teacherWeights: Record<string, TensorRecord> = {};
  for (const [name, record] of Object.entries(weights)) if (name.startsWith(teacherPrefix)) teacherWeights[name.slice(teacherPrefix.length)] = record;
  const teacher = pretraining.teacher?.model.parameterMap();
  const missing = [
    ...missingFrom(student, weights, '', 'a parameter of the model or of an enabled MR head (switch its term off to leave it out)'),
    ...(teacher
      ? missingFrom(teacher, teacherWeights, teacherPrefix, 'the EMA teacher of the feature terms (switch feaMim and feaMlm off to leave it out)')
      : []),
  ];
  if (missing.length > 0) throw new CheckpointMismatchError(source, missing);
  assignWeights(student, pick(weights, student), source);
  if (teacher) assignWeights(teacher, pick(teacherWeights, teacher), `${source} (${teacherPrefix})`);
}

/**
 * Writes `pretraining`'s weights as an MR checkpoint that `loadMrWeights` reads back: the student (`vision.*`, `text.*`,
 * `fusion.*`, `heads.*`), the EMA teacher under `extra/teacher/*`, and every other entry of `from` unchanged (the heads
 * and teacher of switched-off terms: nothing of the starting checkpoint is lost).
 */
export async function saveMrCheckpoint(
  file: string,
  pretraining: MrPretraining,
  from: Readonly<Record<string, TensorRecord>>,
  metadata: CheckpointMetadata,
): Promise<void> {
  const weights: Map<string, tf.Tensor> = pretraining.model.parameterMap();
  for (const [name, variable] of pretraining.teacher?.model.parameterMap() ?? []) weights.set(teacherPrefix + name, variable);
  const carried = Object.entries(from)
    .filter(([name]) => !weights.has(name))
    .map(([name, record]) => [name, tensorFromRecord(record)] as const);
  try {
    for (const [name, tensor] of carried) weights.set(name, tensor);
    await saveCheckpoint(file, { weights, metadata });
  } finally {
    tf.dispose(carried.map(([, tensor]) => tensor));
  }
}

function missingFrom(target: Map<string, tf.Variable>, weights: Readonly<Record<string, TensorRecord>>, prefix: string, expected: string) {
  return [...target.keys()].filter((name) => weights[name] === undefined).map((name) => ({ kind: 'missing' as const, name: prefix + name, expected }));
}

/** The entries of `weights` that `target` has (shape and dtype are checked by `assignWeights`). */
function pick(weights: Readonly<Record<string, TensorRecord>>, target: Map<string, tf.Variable>): Record<string, TensorRecord> {
  return Object.fromEntries([...target.keys()].map((name) => [name, weights[name]!]));
}
