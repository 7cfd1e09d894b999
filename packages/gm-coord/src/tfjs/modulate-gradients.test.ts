import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { expectNoTensorLeak, useCpuBackend, values } from '../../test/tfjs-setup.js';
import { createCoordinator } from '../coordinator.js';
import { ParameterGroupError } from '../errors/parameter-group-error.js';
import { mixSeed, modulateGradients } from './modulate-gradients.js';

beforeAll(useCpuBackend);

function gradients(): tf.NamedTensorMap {
  return {
    'text.encoder.weight': tf.tensor2d([
      [1, 2],
      [3, 4],
    ]),
    'text.encoder.bias': tf.tensor1d([-1, 1]),
    'vision.encoder.weight': tf.tensor2d([
      [2, 4],
      [6, 8],
    ]),
    'head.weight': tf.tensor2d([[5, 6]]),
  };
}
const groups = { text: 'text.', vision: 'vision.' };

describe('modulateGradients', () => {
  it('scales exactly the selected groups and returns the others with unchanged values', async () => {
    const input = gradients();
    const output = modulateGradients(input, { coefficients: { text: 0.25, vision: 1 }, noise: false }, { groups });
    expect(Object.keys(output)).toEqual(Object.keys(input));
    expect(await values(output['text.encoder.weight'] as tf.Tensor)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(await values(output['text.encoder.bias'] as tf.Tensor)).toEqual([-0.25, 0.25]);
    expect(await values(output['vision.encoder.weight'] as tf.Tensor)).toEqual([2, 4, 6, 8]);
    expect(await values(output['head.weight'] as tf.Tensor)).toEqual([5, 6]);
    expect(output['text.encoder.weight']?.shape).toEqual([2, 2]);
    // Outputs are new tensors: disposing the inputs leaves them readable.
    for (const name of Object.keys(input)) expect(output[name]).not.toBe(input[name]);
    tf.dispose(input);
    expect(await values(output['head.weight'] as tf.Tensor)).toEqual([5, 6]);
    tf.dispose(output);
  });

  it('accepts several prefixes per modality', async () => {
    const input = gradients();
    const output = modulateGradients(input, { coefficients: { text: 0.5 } }, { groups: { text: ['text.', 'head.'] } });
    expect(await values(output['head.weight'] as tf.Tensor)).toEqual([2.5, 3]);
    expect(await values(output['vision.encoder.weight'] as tf.Tensor)).toEqual([2, 4, 6, 8]);
    tf.dispose([input, output]);
  });

  it('leaks no tensor, with and without noise, and never disposes its inputs', async () => {
    const input = gradients();
    await expectNoTensorLeak(() => modulateGradients(input, { coefficients: { text: 0.5, vision: 1 } }, { groups }));
    await expectNoTensorLeak(() => modulateGradients(input, { coefficients: { text: 0.5, vision: 1 }, noise: true, update: 3 }, { groups }));
    expect(Object.values(input).every((t) => !t.isDisposed)).toBe(true);
    tf.dispose(input);
  });

  it('adds noise with the gradient std (statistical check) on the selected groups only', async () => {
    // A gradient of n = 40,000 elements alternating ±2 has mean 0 and std exactly 2. With k = 0.5 the noise part is
    // out − 0.5 g ~ N(0, 2²). For n normal draws the sample std has standard error σ / √(2n) = 2 / √80,000 ≈ 0.0071
    // and the sample mean σ / √n = 0.01. We allow 5 standard errors (0.035 and 0.05): a correct implementation fails
    // with probability < 1e-6 (and the seed is fixed, so the test is deterministic anyway), while the wrong scale
    // (std of the scaled gradient, 1, or the variance, 4) misses by 28 standard errors or more.
    const n = 40_000;
    const g = tf.tensor1d(Float32Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 2 : -2)));
    const input = { 'text.w': g, 'head.w': tf.clone(g) };
    const output = modulateGradients(input, { coefficients: { text: 0.5 }, noise: true, update: 7 }, { groups: { text: 'text.' }, seed: 11 });
    const noise = tf.sub(output['text.w'] as tf.Tensor, tf.mul(g, 0.5));
    const { mean, variance } = tf.moments(noise);
    const [m] = await mean.data();
    const [v] = await variance.data();
    expect(Math.abs(m ?? Number.NaN)).toBeLessThan(0.05);
    expect(Math.abs(Math.sqrt(v ?? Number.NaN) - 2)).toBeLessThan(0.035);
    expect(await values(output['head.w'] as tf.Tensor)).toEqual(await values(g)); // no noise outside the groups
    tf.dispose([input, output, noise, mean, variance]);
  });

  it('seeds the noise from (seed, update, name): replayable, and different across updates and tensors', async () => {
    const input = { 'text.a': tf.tensor1d([1, -1, 1, -1]), 'text.b': tf.tensor1d([1, -1, 1, -1]) };
    const run = async (seed: number, update: number): Promise<number[][]> => {
      const out = modulateGradients(input, { coefficients: { text: 1 }, noise: true, update }, { groups: { text: 'text.' }, seed });
      const result = [await values(out['text.a'] as tf.Tensor), await values(out['text.b'] as tf.Tensor)];
      tf.dispose(out);
      return result;
    };
    const first = await run(1, 5);
    expect(await run(1, 5)).toEqual(first);
    expect(await run(1, 6)).not.toEqual(first);
    expect(await run(2, 5)).not.toEqual(first);
    expect(first[0]).not.toEqual(first[1]);
    expect(mixSeed(0, 0, 'x')).not.toBe(mixSeed(0, 1, 'x'));
    tf.dispose(input);
  });

  it('draws fresh noise for coordinator updates that share a step (windowing by epoch)', async () => {
    const coordinator = createCoordinator({ modalities: ['text', 'vision'], strategy: { kind: 'ogm-ge', alpha: 1 } });
    const input = { 'text.a': tf.tensor1d([1, -1, 1, -1]), 'vision.a': tf.tensor1d([1, -1, 1, -1]) };
    const signals = { text: { score: 3 }, vision: { score: 1 } };
    const draw = async (): Promise<number[]> => {
      const out = modulateGradients(input, coordinator.update(signals, { step: 0 }), { groups: { text: 'text.', vision: 'vision.' } });
      const result = await values(out['text.a'] as tf.Tensor);
      tf.dispose(out);
      return result;
    };
    expect(await draw()).not.toEqual(await draw());
    tf.dispose(input);
  });

  it('throws ParameterGroupError for a group that selects nothing, overlapping groups, or a modality without a group', () => {
    const input = gradients();
    expect(() => modulateGradients(input, { coefficients: { text: 0.5 } }, { groups: { text: 'txt.' } })).toThrow(
      /'text'.*selects no gradient.*'text\.encoder\.weight'/,
    );
    expect(() => modulateGradients(input, { coefficients: { text: 0.5 } }, { groups: { text: 'text.', encoder: 'text.encoder.' } })).toThrow(
      /also matches group 'text'/,
    );
    expect(() => modulateGradients(input, { coefficients: { text: 0.5, vision: 1 } }, { groups: { text: 'text.' } })).toThrow(ParameterGroupError);
    tf.dispose(input);
  });
});
