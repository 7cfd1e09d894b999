import * as tf from '@tensorflow/tfjs-core';
import { initRuntime, InvalidConfigError, SeededRandom, UmdError, valueAndGrads } from '@umd/core';
import { expectNoTensorLeak } from '@umd/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';

import { hashFloats } from './mobilenet-v2-stem.js';
import { encoderPresets } from './presets.js';
import { UmdModel, type UmdModelConfig } from './umd-model.js';
import { loadedVisionStem, loadVisionStem, stemKey, visionStemSpec, type VisionStemConfig } from './vision-stem.js';

const stem: VisionStemConfig = { kind: 'mobilenet-v2', layer: 'block_16_project_BN' };
const config: UmdModelConfig = {
  ...encoderPresets.tiny,
  vision: { ...encoderPresets.tiny.vision, imageSize: 224, patchSize: 32, channels: 3, depth: 1, stem },
  text: { ...encoderPresets.tiny.text, depth: 1 },
};

/** Two 224 px RGB images with structure (a bright disc on a ramp, at different places), ImageNet-normalised-ish. */
function images(): tf.Tensor4D {
  const data = new Float32Array(2 * 224 * 224 * 3);
  for (let b = 0; b < 2; b++) {
    const [cx, cy] = b === 0 ? [70, 90] : [150, 130];
    for (let y = 0; y < 224; y++) {
      for (let x = 0; x < 224; x++) {
        const value = (x + y) / 448 + ((x - cx) ** 2 + (y - cy) ** 2 < 900 ? 1 : 0);
        for (let c = 0; c < 3; c++) data[((b * 224 + y) * 224 + x) * 3 + c] = (value - 0.45) / 0.226;
      }
    }
  }
  return tf.tensor4d(data, [2, 224, 224, 3]);
}

/** Two short WordPiece sequences [2, 3] to pair with {@link images}. */
function questionIds(): tf.Tensor2D {
  return tf.tensor2d(
    [
      [101, 2054, 102],
      [101, 2003, 102],
    ],
    [2, 3],
    'int32',
  );
}

describe('vision stem (MobileNetV2 from nsfwjs)', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'cpu' });
    await loadVisionStem(stem);
  }, 120_000);

  it('knows its geometry without weights and checks the ViT against it', () => {
    expect(visionStemSpec({ kind: 'mobilenet-v2' })).toEqual({ inputSize: 224, channels: 1280, stride: 32 });
    expect(visionStemSpec(stem).channels).toBe(320);
    expect(() => visionStemSpec({ kind: 'mobilenet-v2', layer: 'nope' as never })).toThrow(InvalidConfigError);
    expect(() => new UmdModel({ ...config, vision: { ...config.vision, patchSize: 16 } }, new SeededRandom(0))).toThrow(/stride of vision.stem/);
    expect(() => new UmdModel({ ...config, vision: { ...config.vision, imageSize: 192 } }, new SeededRandom(0))).toThrow(/input size of vision.stem/);
  });

  it('refuses a forward pass through a stem that was not loaded, with a typed error naming the fix', () => {
    const other: UmdModelConfig = { ...config, vision: { ...config.vision, stem: { kind: 'mobilenet-v2', layer: 'out_relu' } } };
    const model = new UmdModel(other, new SeededRandom(0));
    const x = images();
    const tokenIds = questionIds();
    let error: unknown;
    try {
      model.forward({ images: x, tokenIds });
    } catch (caught) {
      error = caught;
    }
    expect(UmdError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/await loadVisionStem/);
    tf.dispose([x, tokenIds]);
    model.dispose();
  });

  it('maps images to a 7×7 feature map that depends on the image, and serves repeats from its cache', () => {
    const extractor = loadedVisionStem(stem);
    const x = images();
    const before = extractor.stats();
    const first = extractor.extract(x);
    expect(first.shape).toEqual([2, 7, 7, 320]);
    const [a, b] = tf.unstack(first);
    const difference = tf.mean(tf.abs(tf.sub(a!, b!))).dataSync()[0]!;
    const scale = tf.mean(tf.abs(a!)).dataSync()[0]!;
    expect(difference).toBeGreaterThan(0.05 * scale); // two different images give different features
    const again = extractor.extract(x);
    expect(Array.from(again.dataSync())).toEqual(Array.from(first.dataSync()));
    const after = extractor.stats();
    expect(after.misses - before.misses).toBe(2);
    expect(after.hits - before.hits).toBe(2);
    tf.dispose([x, first, again, a!, b!]);
  }, 120_000);

  it('feeds pixels in [0, 1] when asked (inputRange): the [-1, 1] stem given the same pixels, mapped', async () => {
    const unit: VisionStemConfig = { ...stem, inputRange: [0, 1] };
    expect(stemKey(unit)).not.toBe(stemKey(stem));
    expect(() => visionStemSpec({ ...stem, inputRange: [0, 2] as never })).toThrow(InvalidConfigError);
    await loadVisionStem(unit);
    const x = images();
    // [0, 1] feeds 0.226·n + 0.449; [-1, 1] feeds 0.452·n' − 0.102, equal when n' = (0.226·n + 0.551) / 0.452
    const shifted = tf.div(tf.add(tf.mul(x, 0.226), 0.551), 0.452) as tf.Tensor4D;
    const fromUnit = loadedVisionStem(unit).extract(x);
    const fromDefault = loadedVisionStem(stem).extract(shifted);
    const unmapped = loadedVisionStem(stem).extract(x);
    const gap = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
    const scale = tf.tidy(() => tf.max(tf.abs(fromUnit)).dataSync()[0]!);
    expect(gap(fromUnit, fromDefault)).toBeLessThan(1e-3 * scale);
    expect(gap(fromUnit, unmapped)).toBeGreaterThan(0.05 * scale); // the range changes what the stem sees
    tf.dispose([x, shifted, fromUnit, fromDefault, unmapped]);
  }, 120_000);

  it('trains the ViT on top while the stem stays frozen (no gradient, no tape memory, no leak)', async () => {
    const model = new UmdModel(config, new SeededRandom(3));
    const x = images();
    const tokenIds = questionIds();
    model.forward({ images: x, tokenIds }).fusion.pooled.dispose(); // warm the cache and the sin-cos table
    await expectNoTensorLeak(() => {
      const { value, grads } = valueAndGrads(() => {
        const out = model.forward({ images: x, tokenIds });
        return tf.mean(tf.square(out.fusion.pooled)) as tf.Scalar;
      }, model.parameters());
      expect(grads['vision.patchEmbed.weight']?.shape).toEqual([320, config.vision.dim]);
      expect(tf.tidy(() => tf.sum(tf.abs(grads['vision.patchEmbed.weight']!)).dataSync()[0])).toBeGreaterThan(0);
      expect(model.parameters().some((parameter) => parameter.name.includes('stem'))).toBe(false);
      tf.dispose([value, grads]);
    });
    tf.dispose([x, tokenIds]);
    model.dispose();
  }, 120_000);

  describe('with its last blocks tuned (tunedBlocks)', () => {
    const frozen: VisionStemConfig = { kind: 'mobilenet-v2' };
    const tuned: VisionStemConfig = { kind: 'mobilenet-v2', tunedBlocks: 2 };
    const withStem = (vision: VisionStemConfig): UmdModelConfig => ({ ...config, vision: { ...config.vision, stem: vision } });

    beforeAll(async () => {
      await loadVisionStem(frozen);
      await loadVisionStem(tuned);
    }, 120_000);

    it('checks the count and the layer, and needs the stem loaded before the model is built', () => {
      expect(() => visionStemSpec({ kind: 'mobilenet-v2', tunedBlocks: 4 })).toThrow(/vision.stem.tunedBlocks/);
      expect(() => visionStemSpec({ kind: 'mobilenet-v2', tunedBlocks: 1.5 })).toThrow(InvalidConfigError);
      expect(() => visionStemSpec({ kind: 'mobilenet-v2', layer: 'block_16_project_BN', tunedBlocks: 1 })).toThrow(/only layer with tunedBlocks/);
      expect(visionStemSpec(tuned)).toEqual(visionStemSpec(frozen));
      expect(() => new UmdModel(withStem({ kind: 'mobilenet-v2', tunedBlocks: 3 }), new SeededRandom(0))).toThrow(/await loadVisionStem/);
    });

    it('starts from the ImageNet weights: the same tokens as the frozen stem, from a smaller cached map', () => {
      const x = images();
      const a = new UmdModel(withStem(frozen), new SeededRandom(1));
      const b = new UmdModel(withStem(tuned), new SeededRandom(1));
      const cached = loadedVisionStem(tuned).extract(x);
      expect(cached.shape).toEqual([2, 7, 7, 160]); // block_14_add: blocks 15 and 16 are tuned
      const [reference, folded] = [a.vision.patchTokens(x), b.vision.patchTokens(x)];
      expect(folded.shape).toEqual([2, 49, 1280]);
      const error = tf.tidy(() => tf.max(tf.abs(tf.sub(reference, folded))).dataSync()[0]!);
      const scale = tf.tidy(() => tf.max(tf.abs(reference)).dataSync()[0]!);
      expect(scale).toBeGreaterThan(0.5);
      expect(error).toBeLessThan(1e-3 * scale); // batch norms folded exactly, up to float32 rounding
      expect(
        b
          .parameters()
          .filter((parameter) => parameter.name.startsWith('vision.stemTop.'))
          .map((parameter) => parameter.name),
      ).toEqual([
        'vision.stemTop.conv1Weight',
        'vision.stemTop.conv1Bias',
        ...[15, 16].flatMap((block) =>
          ['expandWeight', 'expandBias', 'depthwiseWeight', 'depthwiseBias', 'projectWeight', 'projectBias'].map(
            (name) => `vision.stemTop.block${block}.${name}`,
          ),
        ),
      ]);
      tf.dispose([x, cached, reference, folded]);
      a.dispose();
      b.dispose();
    }, 120_000);

    it('takes gradients into the tuned blocks and not into the frozen part, without leaking', async () => {
      const model = new UmdModel(withStem(tuned), new SeededRandom(3));
      const x = images();
      const tokenIds = questionIds();
      model.forward({ images: x, tokenIds }).fusion.pooled.dispose(); // warm the cache
      await expectNoTensorLeak(() => {
        const { value, grads } = valueAndGrads(() => tf.mean(tf.square(model.forward({ images: x, tokenIds }).fusion.pooled)) as tf.Scalar, model.parameters());
        for (const name of ['vision.stemTop.block15.expandWeight', 'vision.stemTop.block16.depthwiseWeight', 'vision.stemTop.conv1Bias']) {
          expect(
            tf.tidy(() => tf.sum(tf.abs(grads[name]!)).dataSync()[0]),
            name,
          ).toBeGreaterThan(0);
        }
        expect(grads['vision.stemTop.block15.depthwiseWeight']?.shape).toEqual([3, 3, 960]);
        tf.dispose([value, grads]);
      });
      tf.dispose([x, tokenIds]);
      model.dispose();
    }, 120_000);
  });

  it('hashes image contents, not positions', () => {
    const values = Float32Array.from({ length: 12 }, (_, i) => i % 6);
    expect(hashFloats(values, 0, 6)).toBe(hashFloats(values, 6, 6));
    values[7] = 100;
    expect(hashFloats(values, 0, 6)).not.toBe(hashFloats(values, 6, 6));
  });
});
