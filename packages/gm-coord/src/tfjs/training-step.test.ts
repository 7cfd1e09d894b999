import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients tfjs-core's Node bundle lacks
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { useCpuBackend, values } from '../../test/tfjs-setup.js';
import { createCoordinator, type Coordinator } from '../coordinator.js';
import type { Coordination } from '../types.js';
import { modulateGradients } from './modulate-gradients.js';
import { unimodalLogits } from './unimodal-logits.js';
import { unimodalSignals } from './unimodal-signals.js';

beforeAll(useCpuBackend);

// A late-fusion model: text [B, 3] → 2, vision [B, 2] → 2, concat → head → K = 2.
describe('a plain tfjs training step with GM-Coord between variableGrads and applyGradients', () => {
  const B = 8;
  const xText = tf.randomNormal([B, 3], 0, 1, 'float32', 1) as tf.Tensor2D;
  const xVision = tf.randomNormal([B, 2], 0, 1, 'float32', 2) as tf.Tensor2D;
  const labels = tf.tensor1d([0, 1, 0, 1, 1, 0, 0, 1], 'int32');
  const params = {
    text: tf.variable(tf.randomNormal([3, 2], 0, 1, 'float32', 3), true, 'text.w'),
    vision: tf.variable(tf.randomNormal([2, 2], 0, 0.1, 'float32', 4), true, 'vision.w'),
    head: tf.variable(tf.randomNormal([4, 2], 0, 1, 'float32', 5), true, 'head.w'),
  };
  const head = (pooled: tf.Tensor2D): tf.Tensor2D => tf.matMul(pooled, params.head) as tf.Tensor2D;
  const pooled = (): tf.Tensor2D => tf.concat([tf.matMul(xText, params.text), tf.matMul(xVision, params.vision)], 1) as tf.Tensor2D;
  const segments = [
    { modality: 'text', width: 2 },
    { modality: 'vision', width: 2 },
  ];
  const groups = { text: 'text.', vision: 'vision.' };

  const plainOgm = (): Coordinator => createCoordinator({ modalities: ['text', 'vision'], strategy: { kind: 'ogm-ge', alpha: 1, noise: false } });

  /** One step; returns the coordination and the unmodulated gradients as numbers. */
  async function step(optimizer: tf.Optimizer, coordinator = plainOgm()): Promise<{ coordination: Coordination; grads: Record<string, number[]> }> {
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 2), head(pooled())) as tf.Scalar);
    const uni = tf.tidy(() => unimodalLogits(head, pooled(), segments));
    const coordination = coordinator.update(await unimodalSignals(uni, labels));
    const modulated = modulateGradients(grads, coordination, { groups });
    const raw = Object.fromEntries(await Promise.all(Object.entries(grads).map(async ([k, g]) => [k, await values(g)] as const)));
    optimizer.applyGradients(modulated);
    tf.dispose([value, grads, modulated, uni]);
    return { coordination, grads: raw };
  }

  afterAll(() => tf.dispose([xText, xVision, labels, params.text, params.vision, params.head]));

  it('moves each encoder by exactly −lr · k · g under SGD', async () => {
    const before = { text: await values(params.text), vision: await values(params.vision), head: await values(params.head) };
    const optimizer = tf.train.sgd(0.1);
    const { coordination, grads } = await step(optimizer);
    const k = coordination.coefficients;
    expect(Math.min(k.text ?? 1, k.vision ?? 1)).toBeLessThan(1); // one modality is ahead at initialisation
    for (const [name, variable, coefficient] of [
      ['text.w', params.text, k.text ?? 1],
      ['vision.w', params.vision, k.vision ?? 1],
      ['head.w', params.head, 1],
    ] as const) {
      const now = await values(variable);
      const was = before[name.split('.')[0] as 'text' | 'vision' | 'head'];
      now.forEach((value, i) => expect(value).toBeCloseTo((was[i] ?? 0) - 0.1 * coefficient * (grads[name]?.[i] ?? 0), 5));
    }
    optimizer.dispose();
  });

  it('keeps a constant tensor count across Adam steps and frees everything on dispose', async () => {
    const start = tf.memory().numTensors;
    const optimizer = tf.train.adam(0.01);
    const coordinator = createCoordinator({ modalities: ['text', 'vision'], strategy: { kind: 'ogm-ge', alpha: 0.5 } }); // with GE noise
    for (let i = 0; i < 2; i++) await step(optimizer, coordinator); // Adam creates its moments on step 1
    const steady = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      await step(optimizer, coordinator);
      expect(tf.memory().numTensors).toBe(steady);
    }
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});
