import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import { expectNoTensorLeak } from '../testing/expect-no-tensor-leak.js';
import { initRuntime } from './init-runtime.js';
import { shareSavedTensors } from './saved-tensors-by-reference.js';

/** A small layer with saved inputs and outputs everywhere: matMul, bias, GELU-like tanh, softmax, a mean. */
function loss(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Scalar {
  const h = tf.tanh(tf.add(tf.matMul(x, w), b));
  return tf.mean(tf.mul(tf.softmax(h), tf.exp(tf.neg(tf.square(h)))));
}

/** The gradients of {@link loss} with respect to x, w and b, and the number of Identity kernels the call ran. */
async function gradientsOf(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): Promise<{ values: number[][]; identities: number }> {
  const gradients = (): tf.Tensor[] =>
    tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => loss(a as tf.Tensor2D, c as tf.Tensor2D, d as tf.Tensor1D))([x, w, b]);
  const profiled = await tf.profile(gradients);
  const grads = profiled.result as tf.Tensor[];
  const values = grads.map((grad) => Array.from(grad.dataSync()));
  tf.dispose(grads);
  return { values, identities: profiled.kernels.filter((kernel) => kernel.name === 'Identity').length };
}

describe.each(['wasm', 'cpu'] as const)('gradient saves by reference (%s)', (backend) => {
  afterAll(() => shareSavedTensors(true));

  it('gives the gradients of tfjs’ clones exactly, with no Identity kernel per saved tensor and no leak', async () => {
    const info = await initRuntime({ backend });
    expect(info.fixes).toContain('gradient saves by reference');
    const x = tf.tensor2d([0.3, -1.2, 0.8, 2.1, -0.4, 0.05], [2, 3]);
    const w = tf.tensor2d([0.5, -0.25, 1.5, 0.75, -1, 0.2, 0.1, 0.9, -0.6, 0.4, 0.3, -0.8], [3, 4]);
    const b = tf.tensor1d([0.1, -0.2, 0.3, 0]);
    shareSavedTensors(false);
    const cloned = await gradientsOf(x, w, b);
    shareSavedTensors(true);
    const shared = await gradientsOf(x, w, b);
    expect(shared.values).toEqual(cloned.values);
    expect(cloned.identities).toBeGreaterThan(5);
    expect(shared.identities).toBeLessThan(cloned.identities);
    await expectNoTensorLeak(() =>
      tf.dispose(tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => loss(a as tf.Tensor2D, c as tf.Tensor2D, d as tf.Tensor1D))([x, w, b])),
    );
    // The saved tensors outlive their sources: a variable reassigned during the forward pass keeps its old value for
    // the gradient.
    const v = tf.variable(tf.tensor1d([2, 3]));
    const grad = tf.grad((y: tf.Tensor) => {
      const out = tf.sum(tf.mul(y, v));
      v.assign(tf.tensor1d([100, 100]));
      return out as tf.Scalar;
    })(tf.tensor1d([1, 1]));
    expect(Array.from(grad.dataSync())).toEqual([2, 3]);
    tf.dispose([x, w, b, v, grad]);
  });

  it('leaves a gradient of a gradient right: deeper tapes keep tfjs’ clones', async () => {
    await initRuntime({ backend });
    shareSavedTensors(true);
    const x = tf.tensor1d([0.5, -1, 2]);
    // f(x) = Σ x³ → f'(x) = 3x², f''(x) = 6x.
    const second = tf.grad((y: tf.Tensor) => tf.sum(tf.grad((z: tf.Tensor) => tf.sum(tf.pow(z, 3)))(y)))(x);
    Array.from(second.dataSync()).forEach((value, i) => expect(value).toBeCloseTo(6 * [0.5, -1, 2][i]!, 4));
    tf.dispose([x, second]);
  });
});
