import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { initRuntime } from '../runtime/init-runtime.js';
import { valueAndGrads } from '../runtime/value-and-grads.js';
import { SeededRandom } from '../random/seeded-random.js';
import { expectNoTensorLeak, expectTensorClose } from '../testing/index.js';
import { Dropout } from './dropout.js';
import { gelu } from './gelu.js';
import { LayerNorm } from './layer-norm.js';
import { Linear } from './linear.js';
import { Mlp } from './mlp.js';
import { Module } from './module.js';
import { MultiHeadAttention } from './multi-head-attention.js';
import { TransformerBlock } from './transformer-block.js';

const config = { dim: 16, heads: 4, mlpDim: 32 };

class TwoBlocks extends Module {
  readonly blocks: TransformerBlock[];
  readonly head: Linear;
  constructor(random: SeededRandom) {
    super();
    this.blocks = [0, 1].map((i) => this.addModule(`block${i}`, new TransformerBlock(config, random)));
    this.head = this.addModule('head', new Linear(16, 3, random));
  }
}

function randomTensor(random: SeededRandom, shape: number[]): tf.Tensor {
  return tf.tensor(random.normalArray(shape.reduce((a, b) => a * b, 1)), shape);
}

describe('nn primitives', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'cpu' });
  });

  it('names parameters hierarchically and marks biases and norms as not decayed', () => {
    const model = new TwoBlocks(new SeededRandom(0));
    const names = model.parameters().map((parameter) => parameter.name);
    expect(names.slice(0, 12)).toEqual([
      'block0.norm1.weight',
      'block0.norm1.bias',
      'block0.attn.qkv.weight',
      'block0.attn.qkv.bias',
      'block0.attn.proj.weight',
      'block0.attn.proj.bias',
      'block0.norm2.weight',
      'block0.norm2.bias',
      'block0.mlp.fc1.weight',
      'block0.mlp.fc1.bias',
      'block0.mlp.fc2.weight',
      'block0.mlp.fc2.bias',
    ]);
    expect(names.at(-1)).toBe('head.bias');
    const decayed = model
      .parameters()
      .filter((parameter) => parameter.weightDecay)
      .map((parameter) => parameter.name);
    expect(decayed.every((name) => name.endsWith('.weight') && !name.includes('norm'))).toBe(true);
    expect(model.parameterCount()).toBe(2 * (2 * 16 * 2 + 16 * 48 + 48 + 16 * 16 + 16 + 16 * 32 + 32 + 32 * 16 + 16) + 16 * 3 + 3);
    model.dispose();
  });

  it('rejects duplicate and dotted names', () => {
    class Bad extends Module {
      constructor(name: string) {
        super();
        this.addParameter('w', tf.zeros([1]));
        this.addParameter(name, tf.zeros([1]));
      }
    }
    expect(() => new Bad('w')).toThrow(InvalidConfigError);
    expect(() => new Bad('a.b')).toThrow(/letters, digits and underscores/);
  });

  it('initialises identically for the same seed and differently for another', () => {
    const a = new TransformerBlock(config, new SeededRandom(7));
    const b = new TransformerBlock(config, new SeededRandom(7));
    const c = new TransformerBlock(config, new SeededRandom(8));
    const weight = (m: Module): number[] => Array.from(m.parameterMap().get('attn.qkv.weight')!.dataSync());
    expect(weight(a)).toEqual(weight(b));
    expect(weight(a)).not.toEqual(weight(c));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('LayerNorm normalises the last dimension', () => {
    const norm = new LayerNorm(4);
    const y = norm.forward(
      tf.tensor2d([
        [1, 2, 3, 4],
        [10, 10, 10, 14],
      ]),
    );
    const rows = y.arraySync() as number[][];
    for (const row of rows) {
      const mean = row.reduce((s, v) => s + v, 0) / 4;
      const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / 4;
      expect(mean).toBeCloseTo(0, 5);
      expect(variance).toBeCloseTo(1, 3);
    }
    tf.dispose(y);
    norm.dispose();
  });

  it('GELU is the erf form', () => {
    const y = gelu(tf.tensor1d([-3, -1, 0, 0.5, 2]));
    // x·Φ(x), Φ from a reference erf table: Φ(-3)=0.0013499, Φ(-1)=0.1586553, Φ(0.5)=0.6914625, Φ(2)=0.9772499
    expectTensorClose(y, [-3 * 0.0013499, -0.1586553, 0, 0.5 * 0.6914625, 2 * 0.9772499], { atol: 1e-5 });
    y.dispose();
  });

  it('post-LN blocks end normalised (BERT layout); pre-LN blocks do not', () => {
    const random = new SeededRandom(11);
    const post = new TransformerBlock({ ...config, normPlacement: 'post' }, random);
    const pre = new TransformerBlock(config, random);
    const x = tf.mul(randomTensor(random, [2, 5, 16]), 3);
    const rowStats = (t: tf.Tensor): number[][] => tf.tidy(() => tf.moments(t, -1).variance).arraySync() as number[][];
    const postOut = post.forward(x);
    const preOut = pre.forward(x);
    expect(
      rowStats(postOut)
        .flat()
        .every((v) => Math.abs(v - 1) < 1e-3),
    ).toBe(true);
    expect(
      rowStats(preOut)
        .flat()
        .some((v) => Math.abs(v - 1) > 0.1),
    ).toBe(true);
    tf.dispose([x, postOut, preOut]);
    post.dispose();
    pre.dispose();
  });

  it('quick-GELU is x·sigmoid(1.702x) (OpenAI CLIP)', () => {
    const random = new SeededRandom(12);
    const mlp = new Mlp(3, 3, random, 'quick-gelu');
    const fc1 = mlp.parameterMap().get('fc1.weight')!;
    const fc2 = mlp.parameterMap().get('fc2.weight')!;
    fc1.assign(tf.eye(3));
    fc2.assign(tf.eye(3));
    const y = mlp.forward(tf.tensor2d([[-2, 0.5, 3]]));
    const sigmoid = (v: number): number => 1 / (1 + Math.exp(-1.702 * v));
    expectTensorClose(y, [-2 * sigmoid(-2), 0.5 * sigmoid(0.5), 3 * sigmoid(3)], { atol: 1e-6 });
    tf.dispose(y);
    mlp.dispose();
  });

  it('dropout is the identity in eval mode and keeps the expectation in training', () => {
    const dropout = new Dropout(0.25, new SeededRandom(1));
    const x = tf.ones([100, 100]);
    const trained = dropout.forward(x);
    const zeros = Array.from(trained.dataSync()).filter((v) => v === 0).length;
    expect(zeros / 10000).toBeGreaterThan(0.22);
    expect(zeros / 10000).toBeLessThan(0.28);
    expect(tf.mean(trained).dataSync()[0]).toBeCloseTo(1, 1);
    dropout.eval();
    const evaluated = dropout.forward(x);
    expect(Array.from(evaluated.dataSync()).every((v) => v === 1)).toBe(true);
    tf.dispose([x, trained, evaluated]);
    expect(() => new Dropout(1, new SeededRandom(1))).toThrow(InvalidConfigError);
  });

  it('padding never changes the outputs of real tokens (self-attention block)', () => {
    const random = new SeededRandom(2);
    const block = new TransformerBlock(config, random);
    const x = randomTensor(random, [2, 6, 16]);
    const mask = tf.tensor2d([
      [1, 1, 1, 1, 0, 0],
      [1, 1, 1, 1, 1, 1],
    ]);
    // Same real tokens, different garbage in the two padded positions of sample 0.
    const noise = tf.concat([tf.zeros([1, 4, 16]), tf.mul(randomTensor(random, [1, 2, 16]), 100)], 1);
    const x2 = tf.add(x, tf.concat([noise, tf.zeros([1, 6, 16])], 0));
    const y1 = block.forward(x, { keyPaddingMask: mask });
    const y2 = block.forward(x2, { keyPaddingMask: mask });
    expectTensorClose(tf.slice(y1, [0, 0, 0], [1, 4, 16]), tf.slice(y2, [0, 0, 0], [1, 4, 16]), { atol: 1e-5 });
    // Without the mask the garbage leaks into real tokens: the test can fail.
    const z1 = block.forward(x);
    const z2 = block.forward(x2);
    expect(() => expectTensorClose(tf.slice(z1, [0, 0, 0], [1, 4, 16]), tf.slice(z2, [0, 0, 0], [1, 4, 16]))).toThrow();
    tf.dispose([x, x2, mask, noise, y1, y2, z1, z2]);
    block.dispose();
  });

  it('cross-attention attends to a context of another width and respects its padding', () => {
    const random = new SeededRandom(3);
    const attention = new MultiHeadAttention({ dim: 16, heads: 2, contextDim: 8 }, random);
    expect(attention.parameters().map((p) => p.name)).toEqual(['q.weight', 'q.bias', 'kv.weight', 'kv.bias', 'proj.weight', 'proj.bias']);
    const x = randomTensor(random, [2, 5, 16]);
    const context = randomTensor(random, [2, 3, 8]);
    const mask = tf.tensor2d([
      [1, 1, 0],
      [1, 1, 1],
    ]);
    const y = attention.forward(x, { context, keyPaddingMask: mask });
    expect(y.shape).toEqual([2, 5, 16]);
    const altered = tf.concat([tf.slice(context, [0, 0, 0], [2, 2, 8]), tf.fill([2, 1, 8], 50)], 1);
    const y2 = attention.forward(x, { context: altered, keyPaddingMask: mask });
    expectTensorClose(tf.slice(y, [0, 0, 0], [1, 5, 16]), tf.slice(y2, [0, 0, 0], [1, 5, 16]), { atol: 1e-5 });
    expect(() => attention.forward(x)).toThrow(/context/);
    tf.dispose([x, context, mask, y, altered, y2]);
    attention.dispose();
  });

  it('gives finite gradients for every parameter and leaks nothing', async () => {
    const random = new SeededRandom(4);
    const model = new TwoBlocks(random);
    const x = randomTensor(random, [2, 4, 16]);
    await expectNoTensorLeak(() =>
      tf.tidy(() => {
        const { value, grads } = valueAndGrads(() => {
          let h = x;
          for (const block of model.blocks) h = block.forward(h);
          return tf.mean(tf.square(model.head.forward(h)));
        }, model.parameters());
        expect(Object.keys(grads).sort()).toEqual(
          model
            .parameters()
            .map((p) => p.name)
            .sort(),
        );
        for (const [name, gradient] of Object.entries(grads)) {
          const values = gradient.dataSync();
          expect(values.every(Number.isFinite), name).toBe(true);
          expect(
            values.some((v) => v !== 0),
            name,
          ).toBe(true);
        }
        return value;
      }),
    );
    x.dispose();
    const before = tf.memory().numTensors;
    const count = model.parameters().length;
    model.dispose();
    expect(tf.memory().numTensors).toBe(before - count);
  });

  it('wasm and cpu agree to 1e-4 on a block forward and its gradients', async () => {
    const run = async (backend: 'cpu' | 'wasm'): Promise<number[][]> => {
      await initRuntime({ backend });
      const random = new SeededRandom(5);
      const block = new TransformerBlock(config, random);
      const x = randomTensor(random, [2, 6, 16]);
      const mask = tf.tensor2d([
        [1, 1, 1, 1, 1, 0],
        [1, 1, 1, 1, 1, 1],
      ]);
      const out = tf.tidy(() => {
        const { value, grads } = valueAndGrads(() => tf.mean(tf.square(block.forward(x, { keyPaddingMask: mask }))), block.parameters());
        return [value, ...Object.values(grads)];
      });
      const data = out.map((t) => Array.from(t.dataSync()));
      tf.dispose([...out, x, mask]);
      block.dispose();
      return data;
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    expect(wasm.length).toBe(cpu.length);
    cpu.forEach((values, i) => expectTensorClose(wasm[i]!, values, { atol: 1e-4, rtol: 1e-3, label: `tensor ${i}` }));
    await initRuntime({ backend: 'cpu' });
  });
});
