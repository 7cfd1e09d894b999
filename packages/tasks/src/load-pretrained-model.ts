import {
  CheckpointMismatchError,
  InvalidConfigError,
  SeededRandom,
  assignWeights,
  readCheckpoint,
  type CheckpointMetadata,
  type TensorRecord,
} from '@umd/core';
import type { ImageNormalization } from '@umd/data';
import { loadVisionStem, UmdModel, type UmdModelConfig } from '@umd/encoders';

/** Options of {@link loadPretrainedModel}. */
export interface LoadPretrainedModelOptions {
  /** A checkpoint of MR pre-training or TD-Calib (or a tuned one). Absent: a fresh model from `modelConfig` (scratch). */
  readonly checkpoint?: string;
  /** Required without a checkpoint; with one, it must equal the checkpoint's `config.model` (or fill in when absent). */
  readonly modelConfig?: UmdModelConfig;
  /** Seeds the model's initialisation (which the checkpoint then overwrites). */
  readonly seed: number;
}

/** A model ready for task tuning. */
export interface PretrainedModel {
  readonly model: UmdModel;
  /** The input statistics the checkpoint was calibrated with (TD-Calib writes them), when it has them. */
  readonly imageNormalization?: ImageNormalization;
  /** Checkpoint entries left out on purpose: `heads.*` (pre-training or old task heads) and `extra/*` (EMA teacher). */
  readonly ignored: string[];
  /** Parameters that received checkpoint values (empty from scratch). */
  readonly loaded: string[];
  /** Optimizer steps of the checkpoint (0 from scratch). */
  readonly step: number;
}

const ignoredPrefixes = ['heads.', 'extra/'];

/**
 * Builds a `UmdModel` from a checkpoint written by MR pre-training or TD-Calib: the architecture comes from its
 * metadata (`umd.config.model`), the weights `vision.*`, `text.*` and `fusion.*` are loaded (every one of the model's
 * must be there), `heads.*` and `extra/*` are ignored and listed. Without a checkpoint, a fresh model from
 * `modelConfig`. Also returns the checkpoint's image normalisation (`umd.imageNormalization`, or the same key in its
 * `config` or `extra`) when present. The caller owns the model (`model.dispose()`).
 *
 * @throws InvalidConfigError without a checkpoint and without modelConfig
 * @throws CheckpointMismatchError when the checkpoint has no model config (and none is given), a config different
 *   from `modelConfig`, a missing, unexpected or mis-shaped weight, or a malformed image normalisation
 * @throws CheckpointFormatError for a file that is not a readable checkpoint
 */
export async function loadPretrainedModel(options: LoadPretrainedModelOptions): Promise<PretrainedModel> {
  const { checkpoint, modelConfig, seed } = options;
  if (checkpoint === undefined) {
    if (!modelConfig) throw new InvalidConfigError('modelConfig', undefined, 'a UmdModelConfig (e.g. encoderPresets.tiny) when no checkpoint is given');
    await loadVisionStem(modelConfig.vision.stem);
    return { model: new UmdModel(modelConfig, new SeededRandom(seed)), ignored: [], loaded: [], step: 0 };
  }
  const file = await readCheckpoint(checkpoint);
  const config = checkpointModelConfig(file.metadata);
  if (!config && !modelConfig) {
    throw new CheckpointMismatchError(checkpoint, [
      { kind: 'field', name: 'config.model', checkpoint: 'absent', expected: 'the UmdModelConfig (or pass modelConfig for a plain weight file)' },
    ]);
  }
  if (config && modelConfig && JSON.stringify(canonical(config)) !== JSON.stringify(canonical(modelConfig))) {
    throw new CheckpointMismatchError(checkpoint, [
      {
        kind: 'field',
        name: 'config.model',
        checkpoint: JSON.stringify(config),
        expected: `${JSON.stringify(modelConfig)} (the modelConfig given; omit it to use the checkpoint's)`,
      },
    ]);
  }
  const imageNormalization = checkpointNormalization(file.metadata, checkpoint);
  const ignored: string[] = [];
  const weights: Record<string, TensorRecord> = {};
  for (const [name, record] of Object.entries(file.weights)) {
    if (ignoredPrefixes.some((prefix) => name.startsWith(prefix))) ignored.push(name);
    else weights[name] = record;
  }
  await loadVisionStem((config ?? modelConfig)!.vision.stem);
  const model = new UmdModel((config ?? modelConfig)!, new SeededRandom(seed));
  try {
    const { loaded } = assignWeights(model.parameterMap(), weights, checkpoint);
    return { model, ...(imageNormalization ? { imageNormalization } : {}), ignored, loaded, step: file.metadata.step };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** `config.model` of a checkpoint's metadata, when it looks like a model config. */
export function checkpointModelConfig(metadata: CheckpointMetadata): UmdModelConfig | undefined {
  const config = (metadata.config as { model?: unknown } | undefined)?.model as Partial<UmdModelConfig> | undefined;
  return config && typeof config === 'object' && config.vision && config.text && config.fusion ? (config as UmdModelConfig) : undefined;
}

/**
 * The image normalisation a checkpoint carries: `umd.imageNormalization`, `umd.config.imageNormalization` or
 * `umd.extra.imageNormalization` (the first present).
 *
 * @throws CheckpointMismatchError when present but not `{ mean: number[], std: number[] }` of equal, non-zero length
 */
export function checkpointNormalization(metadata: CheckpointMetadata, path: string): ImageNormalization | undefined {
  const holders = [metadata as unknown, metadata.config, metadata.extra] as { imageNormalization?: unknown }[];
  const value = holders.find((holder) => holder && typeof holder === 'object' && holder.imageNormalization !== undefined)?.imageNormalization;
  if (value === undefined) return undefined;
  const { mean, std } = value as { mean?: unknown; std?: unknown };
  const numbers = (list: unknown): list is number[] => Array.isArray(list) && list.length > 0 && list.every((x) => typeof x === 'number' && Number.isFinite(x));
  if (!numbers(mean) || !numbers(std) || mean.length !== std.length || std.some((x) => x <= 0)) {
    throw new CheckpointMismatchError(path, [
      {
        kind: 'field',
        name: 'imageNormalization',
        checkpoint: JSON.stringify(value),
        expected: '{ mean: number[], std: number[] } (one per channel, std > 0)',
      },
    ]);
  }
  return { mean, std };
}

/** Sorted keys, so two configs compare equal whatever their key order. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
