import * as tf from '@tensorflow/tfjs-core';
import { loadNativeBlas, type NativeBlas } from '@umd/native-blas';
import { describe, expect, it } from 'vitest';

import { SeededRandom } from '../random/seeded-random.js';
import { initRuntime } from '../runtime/init-runtime.js';
import { expectNoTensorLeak } from '../testing/expect-no-tensor-leak.js';
import { expectTensorClose } from '../testing/expect-tensor-close.js';
import {
  fusedLayerNormAvailable,
  layerNormInputGradKernelName,
  layerNormKernelName,
  layerNormKernels,
  layerNormScaleGradKernelName,
} from './layer-norm-kernel.js';
import { LayerNorm } from './layer-norm.js';

/** A LayerNorm with non-trivial γ and β, its output for x [2, 5, 24] and the gradients of a weighted sum of it. */
function normaliseAndDifferentiate(epsilon: number): { y: Float32Array; dx: Float32Array; dGamma: Float32Array; dBeta: Float32Array } {
  const random = new SeededRandom(11);
  const norm = new LayerNorm(24, epsilon);
  const [gamma, beta] = [tf.tensor1d(random.normalArray(24).map((v) => 1 + 0.5 * v)), tf.tensor1d(random.normalArray(24))];
  norm.weight.assign(gamma);
  norm.bias.assign(beta);
  // Rows of different scales and offsets (one of small spread, where rstd is large).
  const values = random.normalArray(2 * 5 * 24).map((v, i) => (Math.floor(i / 24) === 3 ? 5 + 0.05 * v : 3 * v + Math.floor(i / 24)));
  const x = tf.tensor3d(values, [2, 5, 24]);
  const weights = tf.tensor3d(random.normalArray(2 * 5 * 24), [2, 5, 24]);
  const y = norm.forward(x);
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(norm.forward(x), weights)) as tf.Scalar, [norm.weight, norm.bias]);
  const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(norm.forward(input), weights)))(x);
  const result = {
    y: y.dataSync() as Float32Array,
    dx: dx.dataSync() as Float32Array,
    dGamma: grads[norm.weight.name]!.dataSync() as Float32Array,
    dBeta: grads[norm.bias.name]!.dataSync() as Float32Array,
  };
  tf.dispose([gamma, beta, x, weights, y, dx, value, ...Object.values(grads)]);
  norm.dispose();
  return result;
}

/** The same computation with the fused kernel unregistered: LayerNorm's op-by-op form. */
function unfused(epsilon: number): ReturnType<typeof normaliseAndDifferentiate> {
  const backend = tf.getBackend();
  const kernel = tf.getKernel(layerNormKernelName, backend)!;
  tf.unregisterKernel(layerNormKernelName, backend);
  try {
    expect(fusedLayerNormAvailable()).toBe(false);
    return normaliseAndDifferentiate(epsilon);
  } finally {
    tf.registerKernel(kernel);
  }
}

describe.each(['cpu', 'wasm'] as const)('the fused LayerNorm kernels on %s', (backend) => {
  it('are what initRuntime installs', async () => {
    const info = await initRuntime({ backend });
    expect(fusedLayerNormAvailable()).toBe(true);
    expect(info.fixes.some((fix) => fix.startsWith('fused LayerNorm'))).toBe(true);
    expect(layerNormKernels().filter((kernel) => kernel.backendName === backend)).toHaveLength(3);
  });

  it.each([1e-5, 1e-12])('give the op-by-op values and gradients (epsilon %s)', async (epsilon) => {
    await initRuntime({ backend });
    const fused = normaliseAndDifferentiate(epsilon);
    const reference = unfused(epsilon);
    expectTensorClose(fused.y, reference.y, { atol: 2e-5, rtol: 1e-4, label: 'y' });
    expectTensorClose(fused.dx, reference.dx, { atol: 1e-4, rtol: 1e-3, label: 'dx' });
    expectTensorClose(fused.dGamma, reference.dGamma, { atol: 1e-4, rtol: 1e-4, label: 'dγ' });
    expectTensorClose(fused.dBeta, reference.dBeta, { atol: 1e-5, rtol: 1e-5, label: 'dβ' });
    // Not the same numbers by accident: a wrong γ would move y.
    expect(Math.abs(fused.y[0]! - reference.y[1]!)).toBeGreaterThan(1e-3);
  });

  it('leak nothing forward or backward', async () => {
    await initRuntime({ backend });
    await expectNoTensorLeak(() => {
      normaliseAndDifferentiate(1e-5);
    }, `fused LayerNorm on ${backend}`);
  });
});

let native: NativeBlas | undefined;
try {
  native = loadNativeBlas({ env: {} });
} catch {
  native = undefined;
}

describe.skipIf(!native)('the fused LayerNorm kernels on wasm with the native addon', () => {
  it('give what the JavaScript loops give, bit for bit', async () => {
    await initRuntime({ backend: 'wasm' });
    const names = [layerNormKernelName, layerNormInputGradKernelName, layerNormScaleGradKernelName];
    const installed = names.map((name) => tf.getKernel(name, 'wasm')!);
    const run = (kernels: tf.KernelConfig[]): ReturnType<typeof normaliseAndDifferentiate> => {
      for (const kernel of kernels.filter((k) => k.backendName === 'wasm')) {
        tf.unregisterKernel(kernel.kernelName, 'wasm');
        tf.registerKernel(kernel);
      }
      return normaliseAndDifferentiate(1e-5);
    };
    try {
      const withAddon = run(layerNormKernels(native));
      const inJavaScript = run(layerNormKernels());
      expect(withAddon).toEqual(inJavaScript);
    } finally {
      for (const kernel of installed) {
        tf.unregisterKernel(kernel.kernelName, 'wasm');
        tf.registerKernel(kernel);
      }
    }
  });
});
