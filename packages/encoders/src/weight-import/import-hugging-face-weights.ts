import * as tf from '@tensorflow/tfjs-core';
import { CheckpointMismatchError, readSafetensors, type CheckpointProblem, type TensorRecord } from '@umd/core';

import type { UmdModel } from '../umd-model.js';
import { bertNameMap, clipVisionNameMap, type NameMap, type NameMapEntry, type WeightTransform } from './hugging-face-name-map.js';

export interface HuggingFaceWeights {
  /** A safetensors file of a CLIP vision tower or whole CLIP model (`vision_model.…` names). */
  readonly clipVision?: string;
  /** A safetensors file of a BERT or RoBERTa model (`bert.…`, `roberta.…` or unprefixed names). */
  readonly text?: string;
}

export interface ImportReport {
  /** Target parameters that received values, per file. */
  readonly loaded: Record<string, string[]>;
  /** Source tensors known and deliberately skipped (pooler, position ids, other towers), per file. */
  readonly ignored: Record<string, string[]>;
  /** Model parameters that no file provided (fusion, heads, and any tower not imported). */
  readonly untouched: string[];
}

/**
 * Loads Hugging Face weights into a `UmdModel` built with a matching preset (`encoderPresets.base` for CLIP ViT-B/16 +
 * bert-base-uncased, `baseRoberta` for RoBERTa-base), through explicit name maps (`clipVisionNameMap`,
 * `bertNameMap`). Every file is checked completely before anything is assigned: one `CheckpointMismatchError` lists
 * each missing, unexpected and mis-shaped tensor, and a failed import changes no weight.
 *
 * Weights are read whole into memory (F16/BF16 files are widened to float32).
 */
export async function importHuggingFaceWeights(model: UmdModel, files: HuggingFaceWeights): Promise<ImportReport> {
  const parameters = model.parameterMap();
  const plans: { path: string; entries: NameMapEntry[]; tensors: Record<string, TensorRecord>; ignored: string[] }[] = [];
  if (files.clipVision) {
    const { tensors } = await readSafetensors(files.clipVision);
    const prefix = Object.keys(tensors).some((name) => name.startsWith('vision_model.')) ? 'vision_model.' : '';
    plans.push(plan(files.clipVision, clipVisionNameMap(model.config.vision, prefix), tensors, parameters));
  }
  if (files.text) {
    const { tensors } = await readSafetensors(files.text);
    const prefix = ['bert.', 'roberta.'].find((candidate) => Object.keys(tensors).some((name) => name.startsWith(candidate))) ?? '';
    plans.push(plan(files.text, bertNameMap(model.config.text, prefix), tensors, parameters));
  }
  const loaded: Record<string, string[]> = {};
  const ignored: Record<string, string[]> = {};
  const touched = new Set<string>();
  for (const { path, entries, tensors, ignored: skipped } of plans) {
    for (const entry of entries) {
      const variable = parameters.get(entry.target)!;
      const values = transform(
        entry.transform,
        entry.sources.map((name) => tensors[name]!),
        variable.shape,
      );
      tf.tidy(() => variable.assign(tf.tensor(values, variable.shape, 'float32')));
      touched.add(entry.target);
    }
    loaded[path] = entries.map((entry) => entry.target);
    ignored[path] = skipped;
  }
  return { loaded, ignored, untouched: [...parameters.keys()].filter((name) => !touched.has(name)) };
}

/** Validates one file against its name map; throws with every problem, or returns what to assign. */
function plan(
  path: string,
  map: NameMap,
  tensors: Record<string, TensorRecord>,
  parameters: Map<string, tf.Variable>,
): { path: string; entries: NameMapEntry[]; tensors: Record<string, TensorRecord>; ignored: string[] } {
  const problems: CheckpointProblem[] = [];
  const used = new Set<string>();
  for (const entry of map.entries) {
    const variable = parameters.get(entry.target);
    if (!variable) {
      problems.push({ kind: 'field', name: entry.target, expected: 'a parameter of the model', checkpoint: 'mapped from ' + entry.sources.join(', ') });
      continue;
    }
    const expected = sourceShapes(entry.transform, variable.shape, entry.sources.length);
    entry.sources.forEach((name, index) => {
      used.add(name);
      const record = tensors[name];
      const want = `[${expected[index]!.join(', ')}] float32 for ${entry.target}`;
      if (!record) problems.push({ kind: 'missing', name, expected: want });
      else if (record.dtype !== 'float32') problems.push({ kind: 'dtype', name, checkpoint: record.dtype, expected: 'float32' });
      else if (!tf.util.arraysEqual(record.shape, expected[index]!)) {
        problems.push({ kind: 'shape', name, checkpoint: `[${record.shape.join(', ')}]`, expected: want });
      }
    });
  }
  const ignored: string[] = [];
  for (const [name, record] of Object.entries(tensors)) {
    if (used.has(name) || !name.startsWith(map.sourcePrefix)) continue;
    if (map.ignored.some((pattern) => pattern.test(name.slice(map.sourcePrefix.length)))) ignored.push(name);
    else problems.push({ kind: 'unexpected', name, checkpoint: `[${record.shape.join(', ')}] ${record.dtype}` });
  }
  if (problems.length > 0) throw new CheckpointMismatchError(path, problems);
  return { path, entries: [...map.entries], tensors, ignored };
}

/** The shapes the sources must have for a target of `targetShape`. */
function sourceShapes(transform: WeightTransform, targetShape: readonly number[], count: number): number[][] {
  const [a = 0, b = 0] = targetShape;
  switch (transform.kind) {
    case 'copy':
      return [[...targetShape]];
    case 'reshape':
      return [[targetShape.reduce((x, y) => x * y, 1)]];
    case 'linear':
      return [[b, a]];
    case 'fused-linear':
      return Array.from({ length: count }, () => [b / count, a]);
    case 'fused-bias':
      return Array.from({ length: count }, () => [a / count]);
    case 'conv-patch':
      return [[b, transform.channels, transform.patchSize, transform.patchSize]];
  }
}

/** Builds the target's values (row-major, tfjs layout) from validated sources. */
function transform(kind: WeightTransform, sources: TensorRecord[], targetShape: readonly number[]): Float32Array {
  const data = sources.map((source) => source.data as Float32Array);
  switch (kind.kind) {
    case 'copy':
    case 'reshape':
      return Float32Array.from(data[0]!);
    case 'linear': {
      const [rows = 0, cols = 0] = targetShape; // target [in, out]; source [out, in]
      const out = new Float32Array(rows * cols);
      const source = data[0]!;
      for (let o = 0; o < cols; o++) for (let i = 0; i < rows; i++) out[i * cols + o] = source[o * rows + i]!;
      return out;
    }
    case 'fused-linear': {
      const [rows = 0, cols = 0] = targetShape; // target [in, k·D]; each source [D, in]
      const width = cols / data.length;
      const out = new Float32Array(rows * cols);
      data.forEach((source, k) => {
        for (let o = 0; o < width; o++) for (let i = 0; i < rows; i++) out[i * cols + k * width + o] = source[o * rows + i]!;
      });
      return out;
    }
    case 'fused-bias': {
      const out = new Float32Array(targetShape[0] ?? 0);
      let offset = 0;
      for (const source of data) {
        out.set(source, offset);
        offset += source.length;
      }
      return out;
    }
    case 'conv-patch': {
      const [features = 0, dim = 0] = targetShape; // target [P·P·C, D]; source [D, C, P, P]
      const { channels, patchSize: patch } = kind;
      const out = new Float32Array(features * dim);
      const source = data[0]!;
      for (let d = 0; d < dim; d++)
        for (let c = 0; c < channels; c++)
          for (let y = 0; y < patch; y++)
            for (let x = 0; x < patch; x++) {
              out[((y * patch + x) * channels + c) * dim + d] = source[((d * channels + c) * patch + y) * patch + x]!;
            }
      return out;
    }
  }
}
