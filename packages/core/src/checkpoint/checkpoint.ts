import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

import * as tf from '@tensorflow/tfjs-core';

import { CheckpointDamagedError } from '../errors/checkpoint-damaged-error.js';
import { CheckpointFormatError } from '../errors/checkpoint-format-error.js';
import type { CheckpointProblem } from '../errors/checkpoint-mismatch-error.js';
import { CheckpointMismatchError } from '../errors/checkpoint-mismatch-error.js';
import { InvalidConfigError } from '../errors/invalid-config-error.js';
import type { NamedTensors } from '../nn/module.js';
import type { RandomState } from '../random/seeded-random.js';
import type { TensorRecord } from './safetensors.js';
import { decodeSafetensors, encodeSafetensors, safetensorsDataBuffer } from './safetensors.js';
import { writeFileAtomic } from './write-file-atomic.js';

const FORMAT = 'umd-ts-checkpoint';
const FORMAT_VERSION = '1';
const OPTIMIZER_PREFIX = 'optimizer/';

/**
 * Everything besides tensors that a resumed run needs, stored as JSON in the file's `__metadata__.umd`. Keep it plain
 * data: JSON drops `undefined` fields and does not round-trip Maps, typed arrays or class instances.
 */
export interface CheckpointMetadata {
  /** Optimizer steps completed when the checkpoint was written; training resumes at this step. */
  step: number;
  /** The resolved run config; on resume the architecture fields come from here. */
  config?: unknown;
  /** The optimizer's scalar state (iteration count, learning rate); its tensors are `optimizerWeights`. */
  optimizerState?: unknown;
  /** The run's random generator, for an exact resume. */
  random?: RandomState;
  /** The data loader's position (epoch, cursor, shuffle state). */
  data?: unknown;
  /** Best validation metric so far. ±Infinity and NaN are kept (stored as strings). */
  bestMetric?: number;
  /** Anything else the caller wants back. */
  extra?: Record<string, unknown>;
}

/** What {@link saveCheckpoint} writes. Tensors are borrowed: read, never disposed. */
export interface SaveCheckpointOptions {
  /** Model weights under their hierarchical names (`blocks.0.attn.qkv.weight`), e.g. `model.parameterMap()`. */
  weights: Map<string, tf.Tensor> | NamedTensors;
  /** Optimizer slots keyed `<param name>/<slot>` (`blocks.0.attn.qkv.weight/m`); stored as `optimizer/<key>`. */
  optimizerWeights?: NamedTensors;
  metadata: CheckpointMetadata;
  /** Write float32 tensors as F16 (half the bytes; read back as float32). For exported weights, not for training. */
  float16?: boolean;
}

/** A checkpoint read back as plain data; optimizer slot names have the `optimizer/` prefix removed. */
export interface LoadedCheckpoint {
  weights: Record<string, TensorRecord>;
  optimizerWeights: Record<string, TensorRecord>;
  metadata: CheckpointMetadata;
}

/**
 * Writes a training checkpoint as one safetensors file, atomically (a crash leaves the previous checkpoint intact),
 * with the SHA-256 of its tensor data and metadata in the header (`__metadata__.sha256`), which {@link readCheckpoint}
 * verifies. Reads every tensor back with `await t.data()` (a GPU sync point); never disposes the inputs.
 *
 * @throws InvalidConfigError for a weight name starting with `optimizer/`, an unsupported dtype, a bad `step` or
 *   metadata JSON cannot hold; FileWriteError when the file cannot be written
 */
export async function saveCheckpoint(path: string, checkpoint: SaveCheckpointOptions): Promise<void> {
  const weights = checkpoint.weights instanceof Map ? [...checkpoint.weights] : Object.entries(checkpoint.weights);
  const records: [string, TensorRecord][] = [];
  for (const [name, tensor] of weights) {
    if (name.startsWith(OPTIMIZER_PREFIX)) {
      throw new InvalidConfigError('weights', name, `weight names not starting with "${OPTIMIZER_PREFIX}" (reserved for optimizer slots)`);
    }
    records.push([name, await recordFromTensor(tensor, `weights[${JSON.stringify(name)}]`)]);
  }
  for (const [name, tensor] of Object.entries(checkpoint.optimizerWeights ?? {})) {
    records.push([OPTIMIZER_PREFIX + name, await recordFromTensor(tensor, `optimizerWeights[${JSON.stringify(name)}]`)]);
  }
  const tensors = Object.fromEntries(records);
  const metadata = { format: FORMAT, formatVersion: FORMAT_VERSION, umd: encodeMetadata(checkpoint.metadata) };
  // The data buffer does not depend on the header, so the digest of a first encoding holds for the second.
  const options = { float16: checkpoint.float16 === true };
  const sha256 = contentDigest(metadata.umd, safetensorsDataBuffer(encodeSafetensors(tensors, metadata, options), path));
  await writeFileAtomic(path, encodeSafetensors(tensors, { ...metadata, sha256 }, options));
}

/** `sha256:<hex>` of a checkpoint's metadata JSON and its data buffer. */
function contentDigest(umd: string, data: Uint8Array): string {
  return `sha256:${createHash('sha256').update(umd).update(data).digest('hex')}`;
}

/**
 * Reads a checkpoint written by {@link saveCheckpoint} and verifies its digest (checkpoints written before digests
 * existed carry none and are read as they are). A safetensors file without UMD metadata (a pure weight file, e.g. from
 * Hugging Face) reads as weights only, with `metadata = { step: 0 }`.
 *
 * @throws CheckpointFormatError for a malformed file, an unsupported format version or unreadable metadata;
 *   CheckpointDamagedError when the content does not match its digest
 */
export async function readCheckpoint(path: string): Promise<LoadedCheckpoint> {
  return decodeCheckpoint(await readFile(path), path);
}

/**
 * {@link readCheckpoint} on bytes already in memory (`source` names them in errors). `verifyDigest: false` skips the
 * content digest, for callers that checked the whole file's hash themselves (a model bundle's `checksums.json` in a
 * browser, where the digest's synchronous SHA-256 is not available).
 *
 * @throws CheckpointFormatError; CheckpointDamagedError (see readCheckpoint)
 */
export function decodeCheckpoint(bytes: Uint8Array, source: string, options: { readonly verifyDigest?: boolean } = {}): LoadedCheckpoint {
  const file = decodeSafetensors(bytes, source);
  if (file.metadata['format'] !== FORMAT) return { weights: file.tensors, optimizerWeights: {}, metadata: { step: 0 } };
  const recorded = file.metadata['sha256'];
  if (recorded !== undefined && options.verifyDigest !== false) {
    const actual = contentDigest(file.metadata['umd'] ?? '', safetensorsDataBuffer(bytes, source));
    if (actual !== recorded) throw new CheckpointDamagedError(source, recorded, actual);
  }
  const weights: [string, TensorRecord][] = [];
  const optimizerWeights: [string, TensorRecord][] = [];
  for (const [name, record] of Object.entries(file.tensors)) {
    if (name.startsWith(OPTIMIZER_PREFIX)) optimizerWeights.push([name.slice(OPTIMIZER_PREFIX.length), record]);
    else weights.push([name, record]);
  }
  return {
    weights: Object.fromEntries(weights),
    optimizerWeights: Object.fromEntries(optimizerWeights),
    metadata: decodeMetadata(file.metadata, source),
  };
}

/** Options of {@link assignWeights}. */
export interface AssignWeightsOptions {
  /**
   * True (default): every target variable must be in the checkpoint and every checkpoint entry in the target.
   * False: both kinds of difference are tolerated and reported. Shape and dtype mismatches always throw.
   */
  strict?: boolean;
  /** Only checkpoint entries named `<prefix><param name>` are considered (e.g. `'vision.'`); others are ignored. */
  prefix?: string;
}

/** What {@link assignWeights} did. */
export interface AssignWeightsResult {
  /** Target parameter names that received a value. */
  loaded: string[];
  /** Target parameter names left unchanged because the checkpoint lacks them (only when `strict` is false). */
  skipped: string[];
  /** Checkpoint names (prefix included) that match no target parameter (only when `strict` is false). */
  unused: string[];
}

/**
 * Copies loaded weights into model variables. Validates everything first and throws one CheckpointMismatchError
 * listing every missing, unexpected, mis-shaped and wrong-dtype entry (named as in the checkpoint, prefix
 * included); only then assigns, so a failed load changes nothing. Borrows `loaded`; the variables keep their identity.
 *
 * @param target e.g. `model.parameterMap()`
 * @param source the checkpoint path, for error messages
 * @throws CheckpointMismatchError
 */
export function assignWeights(
  target: Map<string, tf.Variable>,
  loaded: Record<string, TensorRecord>,
  source: string,
  options: AssignWeightsOptions = {},
): AssignWeightsResult {
  const { strict = true, prefix = '' } = options;
  const candidates = new Map<string, TensorRecord>();
  for (const [name, record] of Object.entries(loaded)) {
    if (name.startsWith(prefix)) candidates.set(name.slice(prefix.length), record);
  }
  const problems: CheckpointProblem[] = [];
  const result: AssignWeightsResult = { loaded: [], skipped: [], unused: [] };
  for (const [name, variable] of target) {
    const record = candidates.get(name);
    const key = prefix + name;
    if (record === undefined) {
      if (strict) problems.push({ kind: 'missing', name: key, expected: describe(variable.dtype, variable.shape) });
      else result.skipped.push(name);
      continue;
    }
    if (record.dtype !== variable.dtype) problems.push({ kind: 'dtype', name: key, checkpoint: record.dtype, expected: variable.dtype });
    if (!sameShape(record.shape, variable.shape)) {
      problems.push({ kind: 'shape', name: key, checkpoint: `[${record.shape.join(', ')}]`, expected: `[${variable.shape.join(', ')}]` });
    } else if (record.data.length !== variable.size) {
      problems.push({ kind: 'shape', name: key, checkpoint: `${record.data.length} values`, expected: `${variable.size} values` });
    }
    result.loaded.push(name);
  }
  for (const [name, record] of candidates) {
    if (target.has(name)) continue;
    if (strict) problems.push({ kind: 'unexpected', name: prefix + name, checkpoint: describe(record.dtype, record.shape) });
    else result.unused.push(prefix + name);
  }
  if (problems.length > 0) throw new CheckpointMismatchError(source, problems);

  for (const name of result.loaded) {
    const value = tensorFromRecord(candidates.get(name) as TensorRecord);
    (target.get(name) as tf.Variable).assign(value); // the variable takes its own reference to the data
    value.dispose();
  }
  return result;
}

/**
 * Reads a tensor into a plain record (a copy, independent of the tensor). Borrows `tensor`.
 * @param name used in the error message
 * @throws InvalidConfigError for dtypes safetensors cannot hold here (complex64, string)
 */
export async function recordFromTensor(tensor: tf.Tensor, name = 'tensor'): Promise<TensorRecord> {
  const shape = [...tensor.shape];
  switch (tensor.dtype) {
    // `data()` may return the backend's own array (cpu), so copy.
    case 'float32':
      return { dtype: 'float32', shape, data: new Float32Array((await tensor.data()) as ArrayLike<number>) };
    case 'int32':
      return { dtype: 'int32', shape, data: new Int32Array((await tensor.data()) as ArrayLike<number>) };
    case 'bool':
      return { dtype: 'bool', shape, data: new Uint8Array((await tensor.data()) as ArrayLike<number>) };
    default:
      throw new InvalidConfigError(`${name}.dtype`, tensor.dtype, "'float32', 'int32' or 'bool'");
  }
}

/** A new tensor holding a copy of the record's values. The caller owns (and disposes) it. */
export function tensorFromRecord(record: TensorRecord): tf.Tensor {
  // The cpu backend keeps the array it is given, so pass a copy (of the right class, even for a Buffer).
  const Data = record.dtype === 'float32' ? Float32Array : record.dtype === 'int32' ? Int32Array : Uint8Array;
  return tf.tensor(new Data(record.data), [...record.shape], record.dtype);
}

function encodeMetadata(metadata: CheckpointMetadata): string {
  if (!Number.isSafeInteger(metadata.step) || metadata.step < 0) {
    throw new InvalidConfigError('metadata.step', metadata.step, 'a non-negative integer (optimizer steps completed)');
  }
  const { bestMetric } = metadata;
  const stored = bestMetric === undefined || Number.isFinite(bestMetric) ? metadata : { ...metadata, bestMetric: String(bestMetric) };
  try {
    return JSON.stringify(stored);
  } catch (error) {
    throw new InvalidConfigError('metadata', metadata, 'JSON-serialisable plain data', { cause: error });
  }
}

function decodeMetadata(fileMetadata: Record<string, string>, path: string): CheckpointMetadata {
  const version = fileMetadata['formatVersion'];
  if (version !== FORMAT_VERSION) {
    throw new CheckpointFormatError(path, `${FORMAT} formatVersion ${JSON.stringify(version)} is not supported (this version reads "${FORMAT_VERSION}")`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(fileMetadata['umd'] ?? '');
  } catch (error) {
    throw new CheckpointFormatError(path, '__metadata__.umd is missing or not valid JSON', { cause: error });
  }
  const metadata = parsed as CheckpointMetadata & { bestMetric?: number | string };
  if (typeof parsed !== 'object' || parsed === null || !Number.isSafeInteger(metadata.step) || metadata.step < 0) {
    throw new CheckpointFormatError(path, '__metadata__.umd must be a JSON object with a non-negative integer "step"');
  }
  if (typeof metadata.bestMetric === 'string') metadata.bestMetric = Number(metadata.bestMetric);
  return metadata as CheckpointMetadata;
}

function describe(dtype: string, shape: readonly number[]): string {
  return `${dtype} [${shape.join(', ')}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dimension, index) => dimension === b[index]);
}
