import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@umd/core';
import { expectNoTensorLeak, expectTensorClose, useBackend } from '@umd/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';

import { MimDecoder, mimLoss } from './mim-decoder.js';
import { patchMaskingTensors, randomPatchMasking } from '@umd/encoders';

const decoderConfig = { dim: 8, depth: 1, heads: 2, mlpDim: 16, input: { kind: 'last' } } as const;

describe('MimDecoder', () => {
  beforeAll(() => useBackend('cpu'));

  it('turns [B, 1 + Lv, D] visible tokens into hidden [B, L, D_dec] and pixels [B, L, P·P·C]', async () => {
    const random = new SeededRandom(0);
    const decoder = new MimDecoder(decoderConfig, 16, { height: 4, width: 4, patchPixels: 16 }, random);
    const masking = patchMaskingTensors(randomPatchMasking(3, 16, { random }));
    const image = tf.tensor3d(random.normalArray(3 * 5 * 16), [3, 5, 16]);
    await expectNoTensorLeak(() => {
      const out = decoder.forward(image, masking.restoreIndices);
      expect(out.hidden.shape).toEqual([3, 16, 8]);
      expect(out.pred?.shape).toEqual([3, 16, 16]);
      return [out.hidden, out.pred!];
    });
    expect(decoder.parameters().map((p) => p.name)).toContain('maskToken');
    tf.dispose([image, masking.visibleIndices, masking.mask, masking.restoreIndices]);
    decoder.dispose();
  });

  it('puts visible tokens back at their raster positions and mask tokens elsewhere', () => {
    // Two samples keep patches {0, 2} in opposite shuffle orders, with their visible tokens swapped accordingly:
    // after unshuffling, both hold the same token at the same patch, so every output row matches.
    const random = new SeededRandom(1);
    const decoder = new MimDecoder(decoderConfig, 4, { height: 2, width: 2, patchPixels: 3 }, random);
    const cls = random.normalArray(4);
    const first = random.normalArray(4);
    const second = random.normalArray(4);
    const image = tf.tensor3d([...cls, ...first, ...second, ...cls, ...second, ...first], [2, 3, 4]);
    const a = randomPatchMasking(1, 4, { ratio: 0.5, noise: [0.2, 0.9, 0.1, 0.8] }); // keeps 2, then 0
    const b = randomPatchMasking(1, 4, { ratio: 0.5, noise: [0.1, 0.9, 0.2, 0.8] }); // keeps 0, then 2
    expect([...a.visibleIndices, ...b.visibleIndices]).toEqual([2, 0, 0, 2]);
    const restore = tf.tensor2d([...a.restoreIndices, ...b.restoreIndices], [2, 4], 'int32');
    const { hidden, pred } = decoder.forward(image, restore);
    const [h0, h1] = tf.unstack(hidden);
    expectTensorClose(h0!, h1!, { atol: 1e-5 });
    tf.dispose([image, restore, hidden, pred!, h0!, h1!]);
    decoder.dispose();
  });
});

describe('mimLoss', () => {
  beforeAll(() => useBackend('cpu'));

  it('averages only over removed patches', () => {
    const random = new SeededRandom(2);
    const images = tf.tensor4d(random.uniformArray(2 * 8 * 8), [2, 8, 8, 1]);
    const mask = tf.tensor2d([1, 0, 0, 1, 0, 1, 1, 0], [2, 4]);
    const pred = tf.tensor3d(random.normalArray(2 * 4 * 16), [2, 4, 16]);
    // Changing the predictions of kept patches does not change the loss.
    const keptNoise = tf.mul(tf.sub(1, tf.expandDims(mask, -1)), 5);
    const a = mimLoss(pred, images, mask, 4, true);
    const b = mimLoss(tf.add(pred, keptNoise), images, mask, 4, true);
    expectTensorClose(a, b, { atol: 1e-6 });
    tf.dispose([images, mask, pred, keptNoise, a, b]);
  });

  it('is zero for a perfect per-patch-normalised (or raw) prediction', () => {
    const random = new SeededRandom(3);
    const images = tf.tensor4d(random.uniformArray(1 * 8 * 8), [1, 8, 8, 1]);
    const mask = tf.tensor2d([1, 1, 0, 1], [1, 4]);
    const pixels = tf.reshape(tf.transpose(tf.reshape(images, [1, 2, 4, 2, 4, 1]), [0, 1, 3, 2, 4, 5]), [1, 4, 16]);
    const mean = tf.mean(pixels, -1, true);
    const std = tf.sqrt(tf.add(tf.div(tf.sum(tf.square(tf.sub(pixels, mean)), -1, true), 15), 1e-6));
    const normalised = tf.div(tf.sub(pixels, mean), std);
    const raw = mimLoss(pixels, images, mask, 4, false);
    const norm = mimLoss(normalised, images, mask, 4, true);
    expect(raw.dataSync()[0]).toBeCloseTo(0, 6);
    expect(norm.dataSync()[0]).toBeCloseTo(0, 5);
    tf.dispose([images, mask, pixels, mean, std, normalised, raw, norm]);
  });
});
