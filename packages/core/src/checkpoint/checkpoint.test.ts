import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CheckpointDamagedError } from '../errors/checkpoint-damaged-error.js';
import { CheckpointFormatError } from '../errors/checkpoint-format-error.js';
import { CheckpointMismatchError } from '../errors/checkpoint-mismatch-error.js';
import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { Module } from '../nn/module.js';
import { SeededRandom } from '../random/seeded-random.js';
import type { CheckpointMetadata } from './checkpoint.js';
import { assignWeights, readCheckpoint, recordFromTensor, saveCheckpoint, tensorFromRecord } from './checkpoint.js';
import type { TensorRecord } from './safetensors.js';
import { encodeSafetensors, readSafetensors } from './safetensors.js';

class Attention extends Module {
  readonly qkv = this.addModule('qkv', new Linear(2, 6));
}
class Linear extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  constructor(inputs: number, outputs: number) {
    super();
    this.weight = this.addParameter('weight', tf.randomNormal([inputs, outputs], 0, 1, 'float32', 1));
    this.bias = this.addParameter('bias', tf.zeros([outputs]), { weightDecay: false });
  }
}
class Tiny extends Module {
  readonly attn = this.addModule('attn', new Attention());
  readonly head = this.addModule('head', new Linear(6, 3));
}

const float = (shape: number[], values: number[]): TensorRecord => ({ dtype: 'float32', shape, data: new Float32Array(values) });
const values = async (map: Map<string, tf.Variable>) =>
  Object.fromEntries(await Promise.all([...map].map(async ([name, variable]) => [name, Array.from(await variable.data())])));

let directory = '';
beforeAll(async () => {
  await tf.setBackend('cpu');
  directory = await mkdtemp(join(tmpdir(), 'umd-checkpoint-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('saveCheckpoint and readCheckpoint', () => {
  it('round-trips weights, optimizer slots and metadata exactly, without disposing or leaking tensors', async () => {
    const model = new Tiny();
    const parameters = model.parameterMap();
    const m = tf.fill([2, 6], 0.125);
    const step = tf.scalar(7, 'int32');
    const random = new SeededRandom(42);
    random.next();
    const metadata: CheckpointMetadata = {
      step: 1200,
      config: { model: { dim: 16, depth: 1 }, learningRate: 3e-4 },
      optimizerState: { kind: 'adamw', iterations: 1200 },
      random: random.state(),
      data: { epoch: 3, cursor: 17 },
      bestMetric: 0.4312,
      extra: { note: 'ü' },
    };
    const path = join(directory, 'run', 'step-1200.safetensors');
    const before = tf.memory().numTensors;

    await saveCheckpoint(path, {
      weights: parameters,
      optimizerWeights: { 'attn.qkv.weight/m': m, 'optimizer/iterations': step },
      metadata,
    });
    const loaded = await readCheckpoint(path);

    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(loaded.weights).sort()).toEqual(['attn.qkv.bias', 'attn.qkv.weight', 'head.bias', 'head.weight']);
    for (const [name, variable] of parameters) {
      expect(loaded.weights[name]).toEqual({ dtype: 'float32', shape: variable.shape, data: await variable.data() });
    }
    expect(loaded.optimizerWeights).toEqual({
      'attn.qkv.weight/m': float([2, 6], new Array<number>(12).fill(0.125)),
      'optimizer/iterations': { dtype: 'int32', shape: [], data: new Int32Array([7]) },
    });
    expect(loaded.metadata).toEqual(metadata);

    const file = await readSafetensors(path);
    expect(Object.keys(file.tensors)).toContain('optimizer/attn.qkv.weight/m');
    expect(file.metadata).toEqual({
      format: 'umd-ts-checkpoint',
      formatVersion: '1',
      umd: JSON.stringify(metadata),
      sha256: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    tf.dispose([m, step]);
    model.dispose();
  });

  it('keeps a non-finite bestMetric and accepts a plain record of tensors', async () => {
    const path = join(directory, 'infinite.safetensors');
    const weight = tf.tensor1d([1, 2]);
    await saveCheckpoint(path, { weights: { weight }, metadata: { step: 0, bestMetric: Infinity } });
    const { metadata, weights, optimizerWeights } = await readCheckpoint(path);
    expect(metadata).toEqual({ step: 0, bestMetric: Infinity });
    expect(weights).toEqual({ weight: float([2], [1, 2]) });
    expect(optimizerWeights).toEqual({});
    weight.dispose();
  });

  it('reads a pure weight file (no UMD metadata) as weights only, at step 0', async () => {
    const path = join(directory, 'pytorch_model.safetensors');
    const tensors = { 'optimizer/not-really': float([1], [5]), 'encoder.weight': float([2], [1, 2]) };
    await writeFile(path, encodeSafetensors(tensors, { format: 'pt' }));
    expect(await readCheckpoint(path)).toEqual({ weights: tensors, optimizerWeights: {}, metadata: { step: 0 } });
  });

  it('rejects an unknown format version or unreadable metadata, naming the file', async () => {
    const path = join(directory, 'future.safetensors');
    await writeFile(path, encodeSafetensors({}, { format: 'umd-ts-checkpoint', formatVersion: '2', umd: '{"step":1}' }));
    await expect(readCheckpoint(path)).rejects.toThrow(`${path}: not a valid safetensors file: umd-ts-checkpoint formatVersion "2" is not supported`);
    await writeFile(path, encodeSafetensors({}, { format: 'umd-ts-checkpoint', formatVersion: '1', umd: '{"step":' }));
    await expect(readCheckpoint(path)).rejects.toThrow(CheckpointFormatError);
    await writeFile(path, encodeSafetensors({}, { format: 'umd-ts-checkpoint', formatVersion: '1', umd: '{"step":-1}' }));
    await expect(readCheckpoint(path)).rejects.toThrow('non-negative integer "step"');
  });

  it('records a digest of the data and metadata, and refuses a file whose bytes changed after the write', async () => {
    const path = join(directory, 'digest.safetensors');
    const weight = tf.tensor1d([1, 2, 3, 4]);
    await saveCheckpoint(path, { weights: { weight }, metadata: { step: 12, extra: { note: 'x' } } });
    weight.dispose();
    const intact = await readFile(path);
    expect(await readCheckpoint(path)).toMatchObject({ metadata: { step: 12 } });

    const flippedData = Buffer.from(intact);
    flippedData[flippedData.length - 1]! ^= 0x01; // the last byte of the last float
    await writeFile(path, flippedData);
    await expect(readCheckpoint(path)).rejects.toThrow(CheckpointDamagedError);
    await expect(readCheckpoint(path)).rejects.toThrow(`${path}: the checkpoint is damaged`);

    const editedStep = Buffer.from(intact.toString('latin1').replace('\\"step\\":12', '\\"step\\":99'), 'latin1'); // same length
    expect(editedStep.equals(intact)).toBe(false);
    await writeFile(path, editedStep);
    await expect(readCheckpoint(path)).rejects.toThrow(CheckpointDamagedError);
  });

  it('reads a checkpoint written before digests existed', async () => {
    const path = join(directory, 'no-digest.safetensors');
    await writeFile(path, encodeSafetensors({ weight: float([2], [1, 2]) }, { format: 'umd-ts-checkpoint', formatVersion: '1', umd: '{"step":3}' }));
    expect(await readCheckpoint(path)).toEqual({ weights: { weight: float([2], [1, 2]) }, optimizerWeights: {}, metadata: { step: 3 } });
  });

  it('rejects bad input before writing anything', async () => {
    const folder = join(directory, 'rejected');
    const weight = tf.tensor1d([1]);
    const complex = tf.complex([1], [2]);
    await expect(saveCheckpoint(join(folder, 'a'), { weights: { 'optimizer/x': weight }, metadata: { step: 1 } })).rejects.toThrow(InvalidConfigError);
    await expect(saveCheckpoint(join(folder, 'b'), { weights: { weight }, metadata: { step: 1.5 } })).rejects.toThrow('metadata.step');
    await expect(saveCheckpoint(join(folder, 'c'), { weights: { complex }, metadata: { step: 1 } })).rejects.toThrow(
      `Invalid value for 'weights["complex"].dtype': "complex64"`,
    );
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    await expect(saveCheckpoint(join(folder, 'd'), { weights: {}, metadata: { step: 1, extra: cyclic } })).rejects.toThrow('JSON-serialisable');
    await expect(readdir(folder)).rejects.toThrow('ENOENT');
    tf.dispose([weight, complex]);
  });
});

describe('assignWeights', () => {
  it('loads a checkpoint into a fresh model, keeping its variables and leaking nothing', async () => {
    const path = join(directory, 'load.safetensors');
    const source = new Tiny();
    await saveCheckpoint(path, { weights: source.parameterMap(), metadata: { step: 3 } });
    const target = new Tiny();
    const parameters = target.parameterMap();
    const variable = parameters.get('head.weight');
    const { weights } = await readCheckpoint(path);
    const before = tf.memory().numTensors;

    const result = assignWeights(parameters, weights, path);

    expect(tf.memory().numTensors).toBe(before);
    expect(result).toEqual({ loaded: [...parameters.keys()], skipped: [], unused: [] });
    expect(target.parameterMap().get('head.weight')).toBe(variable);
    expect(await values(parameters)).toEqual(await values(source.parameterMap()));
    weights['head.weight']?.data.fill(0); // the variables hold copies
    expect(await values(parameters)).toEqual(await values(source.parameterMap()));
    source.dispose();
    target.dispose();
  });

  it('reports every missing, unexpected, mis-shaped and wrong-dtype entry at once and changes nothing', async () => {
    const a = tf.variable(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      true,
      'assign_test_a',
    );
    const b = tf.variable(tf.tensor1d([1, 2, 3]), true, 'assign_test_b');
    const c = tf.variable(tf.tensor1d([1, 2], 'int32'), true, 'assign_test_c');
    const d = tf.variable(tf.tensor1d([9]), true, 'assign_test_d');
    const target = new Map<string, tf.Variable>([
      ['a', a],
      ['b', b],
      ['c', c],
      ['d', d],
    ]);
    const loaded = {
      a: float([4], [0, 0, 0, 0]),
      b: float([3], [0, 0, 0]),
      c: float([2], [0, 0]),
      e: float([1], [0]),
    };
    const snapshot = await values(target);
    const before = tf.memory().numTensors;

    let error: unknown;
    try {
      assignWeights(target, loaded, 'ckpt.safetensors');
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(CheckpointMismatchError);
    const mismatch = error as CheckpointMismatchError;
    expect(mismatch.path).toBe('ckpt.safetensors');
    expect(mismatch.problems).toEqual([
      { kind: 'shape', name: 'a', checkpoint: '[4]', expected: '[2, 2]' },
      { kind: 'dtype', name: 'c', checkpoint: 'float32', expected: 'int32' },
      { kind: 'missing', name: 'd', expected: 'float32 [1]' },
      { kind: 'unexpected', name: 'e', checkpoint: 'float32 [1]' },
    ]);
    expect(mismatch.message).toContain('Checkpoint ckpt.safetensors does not match (4 problems)');
    expect(await values(target)).toEqual(snapshot); // b was valid, but the failed load left it alone too
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b, c, d]);
  });

  it('with strict: false, loads what matches and reports the rest; shape mismatches still throw', async () => {
    const encoder = tf.variable(tf.zeros([2]), true, 'assign_test_encoder');
    const head = tf.variable(tf.ones([3]), true, 'assign_test_head');
    const target = new Map([
      ['encoder.weight', encoder],
      ['head.weight', head],
    ]);
    const loaded = { 'encoder.weight': float([2], [5, 6]), 'decoder.weight': float([1], [7]) };

    expect(assignWeights(target, loaded, 'pretrained', { strict: false })).toEqual({
      loaded: ['encoder.weight'],
      skipped: ['head.weight'],
      unused: ['decoder.weight'],
    });
    expect(await values(target)).toEqual({ 'encoder.weight': [5, 6], 'head.weight': [1, 1, 1] });
    expect(() => assignWeights(target, { 'head.weight': float([2], [0, 0]) }, 'pretrained', { strict: false })).toThrow(
      'shape of head.weight: checkpoint [2], expected [3]',
    );
    tf.dispose([encoder, head]);
  });

  it('with a prefix, loads one sub-model out of a larger checkpoint', async () => {
    const weight = tf.variable(tf.zeros([2]), true, 'assign_test_prefixed');
    const target = new Map([['blocks.0.weight', weight]]);
    const loaded = { 'vision.blocks.0.weight': float([2], [3, 4]), 'text.blocks.0.weight': float([5], [0, 0, 0, 0, 0]) };

    expect(assignWeights(target, loaded, 'full-model', { prefix: 'vision.' })).toEqual({ loaded: ['blocks.0.weight'], skipped: [], unused: [] });
    expect(Array.from(await weight.data())).toEqual([3, 4]);
    expect(() => assignWeights(target, {}, 'full-model', { prefix: 'vision.' })).toThrow('missing vision.blocks.0.weight');
    weight.dispose();
  });
});

describe('recordFromTensor and tensorFromRecord', () => {
  it('convert both ways with copies, for float32, int32 and bool', async () => {
    const tensors = [tf.tensor2d([[0.5, -1]]), tf.tensor1d([3, -4], 'int32'), tf.tensor1d([true, false, true], 'bool')];
    const before = tf.memory().numTensors;
    for (const tensor of tensors) {
      const record = await recordFromTensor(tensor);
      expect(record.dtype).toBe(tensor.dtype);
      expect(record.shape).toEqual(tensor.shape);
      const back = tensorFromRecord(record);
      record.data.fill(0);
      expect(back.dtype).toBe(tensor.dtype);
      expect(await back.array()).toEqual(await tensor.array());
      back.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    expect((await recordFromTensor(tensors[2] as tf.Tensor)).data).toBeInstanceOf(Uint8Array);
    tf.dispose(tensors);
  });
});
