import * as tf from '@tensorflow/tfjs-core';
import { AdamW, initRuntime, SeededRandom, valueAndGrads } from '@umd/core';
import { expectNoTensorLeak, expectStableTensorCount, expectTensorClose } from '@umd/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';

import { microConfig } from './__fixtures__/small-configs.js';
import { encoderPresets } from './presets.js';
import { TextTransformer } from './text-transformer.js';
import { UmdModel } from './umd-model.js';
import { VisionTransformer } from './vision-transformer.js';

function batch(random: SeededRandom, size = 2, length = 8) {
  return {
    images: tf.tensor4d(random.normalArray(size * 16 * 16), [size, 16, 16, 1]),
    tokenIds: tf.tensor2d(
      Int32Array.from({ length: size * length }, () => 1 + random.integer(59)),
      [size, length],
      'int32',
    ),
    attentionMask: tf.tensor2d(
      Float32Array.from({ length: size * length }, (_, i) => (i % length < length - 2 ? 1 : 0)),
      [size, length],
    ),
  };
}

describe('UmdModel', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'cpu' });
  });

  it('produces the documented shapes and parameter groups', () => {
    const random = new SeededRandom(0);
    const model = new UmdModel(microConfig, random);
    const inputs = batch(random);
    const out = model.forward({ ...inputs, keepFusionLayers: true });
    expect(out.vision.shape).toEqual([2, 1 + 16, 16]);
    expect(out.text.shape).toEqual([2, 8, 12]);
    expect(out.fusion.text.shape).toEqual([2, 8, 16]);
    expect(out.fusion.image.shape).toEqual([2, 17, 16]);
    expect(out.fusion.pooled.shape).toEqual([2, 32]);
    expect(out.fusion.layers).toHaveLength(2);
    const prefixes = new Set(model.parameters().map((p) => p.name.split('.')[0]));
    expect([...prefixes]).toEqual(['vision', 'text', 'fusion']);
    expect(model.parameterMap().has('fusion.layers.1.image.crossAttn.kv.weight')).toBe(true);
    tf.dispose([inputs, out as unknown as tf.TensorContainer]);
    model.dispose();
  });

  it('sees only the visible patches, in the order given (MAE encoder)', () => {
    const random = new SeededRandom(1);
    const vit = new VisionTransformer(microConfig.vision, random);
    const images = tf.tensor4d(random.normalArray(2 * 16 * 16), [2, 16, 16, 1]);
    const all = vit.forward(images);
    const order = [
      [5, 0, 15, 3],
      [1, 2, 14, 9],
    ];
    const some = vit.forward(images, { visibleIndices: tf.tensor2d(order, [2, 4], 'int32') });
    expect(some.shape).toEqual([2, 5, 16]);
    // With every patch visible in permuted order, the tokens are the full output permuted (attention is
    // permutation-equivariant once positions are added).
    const permutation = Array.from(random.permutation(16));
    const permuted = vit.forward(images, { visibleIndices: tf.tensor2d([permutation, permutation], [2, 16], 'int32') });
    const gathered = tf.gather(all, tf.tensor1d([0, ...permutation.map((p) => p + 1)], 'int32'), 1);
    expectTensorClose(permuted, gathered, { atol: 1e-5 });
    tf.dispose([images, all, some, permuted, gathered]);
    vit.dispose();
  });

  it('accepts greyscale input for an RGB model and runs at another image size (interpolated positions)', () => {
    const random = new SeededRandom(2);
    const vit = new VisionTransformer({ ...microConfig.vision, channels: 3, positionEmbedding: 'learned' }, random);
    const grey = tf.tensor4d(random.normalArray(16 * 16), [1, 16, 16, 1]);
    const rgb = tf.tile(grey, [1, 1, 1, 3]);
    const fromGrey = vit.forward(grey);
    const fromRgb = vit.forward(rgb);
    expectTensorClose(fromGrey, fromRgb, { atol: 1e-6 });
    const larger = tf.tensor4d(random.normalArray(24 * 24 * 3), [1, 24, 24, 3]);
    expect(vit.forward(larger).shape).toEqual([1, 1 + 36, 16]);
    expect(() => vit.forward(tf.zeros([1, 18, 16, 3]))).toThrow(/multiple of 4/);
    vit.dispose();
  });

  it.each(['pre', 'post'] as const)('padding never changes real tokens (text, %s-LN)', (normPlacement) => {
    const random = new SeededRandom(3);
    const text = new TextTransformer({ ...microConfig.text, normPlacement }, random);
    const short = tf.tensor2d([[5, 6, 7, 0, 0]], [1, 5], 'int32');
    const long = tf.tensor2d([[5, 6, 7, 42, 17, 9, 3]], [1, 7], 'int32');
    const a = text.forward(short, { attentionMask: tf.tensor2d([[1, 1, 1, 0, 0]]) });
    const b = text.forward(long, { attentionMask: tf.tensor2d([[1, 1, 1, 0, 0, 0, 0]]) });
    expectTensorClose(tf.slice(a, [0, 0, 0], [1, 3, 12]), tf.slice(b, [0, 0, 0], [1, 3, 12]), { atol: 1e-5 });
    expect(() => text.forward(tf.zeros([1, 13], 'int32'))).toThrow(/T <= 12/);
    text.dispose();
  });

  it('fusion respects the text padding mask in both streams', () => {
    const random = new SeededRandom(4);
    const model = new UmdModel(microConfig, random);
    const inputs = batch(random, 1, 6);
    const mask = tf.tensor2d([[1, 1, 1, 1, 0, 0]]);
    const altered = tf.tensor2d([[...Array.from(inputs.tokenIds.dataSync()).slice(0, 4), 33, 44]], [1, 6], 'int32');
    const a = model.forward({ ...inputs, attentionMask: mask });
    const b = model.forward({ ...inputs, tokenIds: altered, attentionMask: mask });
    expectTensorClose(a.fusion.image, b.fusion.image, { atol: 1e-5 });
    expectTensorClose(tf.slice(a.fusion.text, [0, 0, 0], [1, 4, 16]), tf.slice(b.fusion.text, [0, 0, 0], [1, 4, 16]), { atol: 1e-5 });
    model.dispose();
  });

  it("pools the CLS pair by default and, with pooling 'mean', the mean of the real text tokens and of all image tokens", () => {
    const random = new SeededRandom(6);
    const model = new UmdModel(microConfig, random);
    const inputs = batch(random, 2, 6);
    const cls = model.forward(inputs).fusion;
    const mean = model.forward({ ...inputs, pooling: 'mean' }).fusion;
    const D = microConfig.fusion.dim;
    expectTensorClose(
      cls.pooled,
      tf.concat([tf.reshape(tf.slice(cls.text, [0, 0, 0], [2, 1, D]), [2, D]), tf.reshape(tf.slice(cls.image, [0, 0, 0], [2, 1, D]), [2, D])], 1),
      { atol: 1e-6 },
    );
    // batch() pads the last 2 of 6 tokens: the text half averages the first 4 only.
    const textMean = tf.mean(tf.slice(mean.text, [0, 0, 0], [2, 4, D]), 1);
    expectTensorClose(mean.pooled, tf.concat([textMean, tf.mean(mean.image, 1)], 1), { atol: 1e-6 });
    model.dispose();
  });

  it('is deterministic for a seed', () => {
    const run = (): number[] => {
      const random = new SeededRandom(5);
      const model = new UmdModel(microConfig, random);
      const inputs = batch(random);
      const pooled = model.forward(inputs).fusion.pooled;
      const values = Array.from(pooled.dataSync());
      model.dispose();
      return values;
    };
    expect(run()).toEqual(run());
  });

  it('gives finite, non-zero gradients to every parameter, and training steps leak nothing', async () => {
    const random = new SeededRandom(6);
    const model = new UmdModel(microConfig, random);
    const inputs = batch(random);
    const visibleIndices = tf.tensor2d(
      [
        [0, 5, 10, 15],
        [1, 2, 3, 4],
      ],
      [2, 4],
      'int32',
    );
    const loss = (): tf.Scalar => {
      const out = model.forward({ ...inputs, visibleIndices });
      return tf.addN([tf.mean(tf.square(out.fusion.pooled)), tf.mean(tf.square(out.fusion.text)), tf.mean(tf.square(out.fusion.image))]) as tf.Scalar;
    };
    tf.dispose(tf.tidy(loss)); // the first call caches the fixed sin-cos position table (freed by model.dispose())
    await expectNoTensorLeak(() =>
      tf.tidy(() => {
        const { value, grads } = valueAndGrads(loss, model.parameters());
        for (const parameter of model.parameters()) {
          const gradient = grads[parameter.name];
          expect(gradient, parameter.name).toBeDefined();
          const values = gradient!.dataSync();
          expect(values.every(Number.isFinite), parameter.name).toBe(true);
          // Type embeddings of unused segment 1 rightly get zero gradient.
          if (parameter.name !== 'text.embeddings.type.weight')
            expect(
              values.some((v) => v !== 0),
              parameter.name,
            ).toBe(true);
        }
        return value;
      }),
    );
    const optimizer = new AdamW(model.parameters(), { learningRate: 1e-3 });
    const before = tf.memory().numTensors;
    await expectStableTensorCount(() =>
      tf.tidy(() => {
        const { value, grads } = valueAndGrads(loss, model.parameters());
        optimizer.applyGradients(grads);
        return value;
      }),
    );
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    tf.dispose([inputs, visibleIndices]);
  });

  it('wasm and cpu agree to 1e-4 on the forward pass and gradients', async () => {
    const run = async (backend: 'cpu' | 'wasm'): Promise<number[][]> => {
      await initRuntime({ backend });
      const random = new SeededRandom(7);
      const model = new UmdModel(microConfig, random);
      const inputs = batch(random);
      const tensors = tf.tidy(() => {
        const { value, grads } = valueAndGrads(() => tf.mean(tf.square(model.forward(inputs).fusion.pooled)), model.parameters());
        return [value, ...Object.values(grads)];
      });
      const values = tensors.map((t) => Array.from(t.dataSync()));
      tf.dispose([...tensors, inputs]);
      model.dispose();
      return values;
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    cpu.forEach((values, i) => expectTensorClose(wasm[i]!, values, { atol: 1e-4, rtol: 1e-3, label: `tensor ${i}` }));
    await initRuntime({ backend: 'cpu' });
  });

  it('builds the base preset (M3AE shape) and runs a forward pass at batch 1', async () => {
    await initRuntime({ backend: 'wasm' });
    const model = new UmdModel(encoderPresets.base, new SeededRandom(8));
    expect(model.vision.parameterCount()).toBeGreaterThan(85e6); // ViT-B/16: ~86M
    expect(model.text.parameterCount()).toBeGreaterThan(108e6); // BERT-base: ~109M
    const out = model.forward({
      images: tf.randomNormal([1, 224, 224, 3]),
      tokenIds: tf.tensor2d([[101, 2003, 2045, 1037, 17083, 1029, 102]], [1, 7], 'int32'),
    });
    expect(out.fusion.pooled.shape).toEqual([1, 1536]);
    expect(out.vision.shape).toEqual([1, 197, 768]);
    expect(Array.from(out.fusion.pooled.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose(out as unknown as tf.TensorContainer);
    model.dispose();
    await initRuntime({ backend: 'cpu' });
  }, 180_000);
});
