import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, softmaxCrossEntropy, valueAndGrads } from '@umd/core';
import { useBackend } from '@umd/core/testing';
import { ItmHead, UmdModel } from '@umd/encoders';
import { beforeAll, describe, expect, it } from 'vitest';

import { microBatch, microConfig } from './__fixtures__/micro.js';

/**
 * L_ITM reaches the encoders only through the co-attention layers' interaction of the two streams. This checks that
 * path end to end: the analytic directional derivative of L_ITM along a random direction of each parameter group
 * equals the central finite difference (float32, so a few per cent of tolerance).
 */
describe('L_ITM gradient through the fused model', () => {
  beforeAll(() => useBackend('cpu'));

  it('matches finite differences for the vision, text and cross-attention parameters', () => {
    const random = new SeededRandom(5);
    const model = new UmdModel(microConfig, random);
    const head = model.heads.register('itm', new ItmHead(2 * microConfig.fusion.dim, random));
    const batch = microBatch(new SeededRandom(9), 4, 10);
    const tokenIds = tf.tensor2d(batch.tokenIds, [4, 10], 'int32');
    const attentionMask = tf.tensor2d(batch.attentionMask, [4, 10]);
    const labels = tf.tensor1d([1, 0, 1, 0], 'int32');
    const loss = (): tf.Scalar =>
      softmaxCrossEntropy(head.forward(model.forward({ images: batch.images, tokenIds, attentionMask }).fusion.pooled), { classes: labels });
    const parameters = model.parameters();
    const { value, grads } = valueAndGrads(loss, parameters);

    for (const prefix of ['vision.', 'text.', 'fusion.layers.0.text.crossAttn.', 'fusion.layers.1.image.crossAttn.']) {
      const group = parameters.filter((parameter) => parameter.name.startsWith(prefix));
      expect(group.length).toBeGreaterThan(0);
      const directions = group.map((parameter, i) => tf.randomNormal(parameter.variable.shape, 0, 1, 'float32', 11 + i));
      const analytic = group.reduce((sum, parameter, i) => sum + tf.tidy(() => tf.sum(tf.mul(grads[parameter.name]!, directions[i]!)).dataSync()[0]!), 0);
      const shift = (scale: number): void =>
        group.forEach((parameter, i) => parameter.variable.assign(tf.tidy(() => tf.add(parameter.variable, tf.mul(directions[i]!, scale)))));
      const epsilon = 1e-3;
      shift(epsilon);
      const plus = tf.tidy(() => loss().dataSync()[0]!);
      shift(-2 * epsilon);
      const minus = tf.tidy(() => loss().dataSync()[0]!);
      shift(epsilon);
      const numeric = (plus - minus) / (2 * epsilon);
      expect(Math.abs(analytic)).toBeGreaterThan(1e-4); // the path is not cut
      expect(Math.abs(numeric - analytic)).toBeLessThan(0.05 * Math.abs(analytic) + 1e-4);
      tf.dispose(directions);
    }
    tf.dispose([value, ...Object.values(grads), tokenIds, attentionMask, labels, batch.images]);
    model.dispose();
  });
});
