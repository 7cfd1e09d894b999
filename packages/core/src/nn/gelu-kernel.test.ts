import * as tf from '@tensorflow/tfjs-core';
import { loadNativeBlas, type NativeBlas } from '@umd/native-blas';
import { describe, expect, it } from 'vitest';

import { SeededRandom } from '../random/seeded-random.js';
import { initRuntime } from '../runtime/init-runtime.js';
import { expectNoTensorLeak } from '../testing/expect-no-tensor-leak.js';
import { expectTensorClose } from '../testing/expect-tensor-close.js';
import { fusedGeluAvailable, geluKernelName } from './gelu-kernel.js';
import { gelu } from './gelu.js';

let native: NativeBlas | undefined;
try {
  native = loadNativeBlas({ env: {} });
} catch {
  native = undefined;
}

/** GELU of x [3, 40] (from −6 to 6, zero and both tails included) and the gradient of a weighted sum of it. */
function geluAndGradient(): { y: Float32Array; dx: Float32Array } {
  const random = new SeededRandom(5);
  const x = tf.tensor2d(
    Array.from({ length: 120 }, (_, i) => (i === 0 ? 0 : -6 + (12 * i) / 119 + 0.01 * random.normal())),
    [3, 40],
  );
  const weights = tf.tensor2d(random.normalArray(120), [3, 40]);
  const y = gelu(x);
  const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(gelu(input), weights)))(x);
  const result = { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array };
  tf.dispose([x, weights, y, dx]);
  return result;
}

describe.skipIf(!native)('the fused GELU kernels (wasm with the native addon)', () => {
  it('are what initRuntime installs', async () => {
    const info = await initRuntime({ backend: 'wasm' });
    if (info.matMul !== 'native-blas') return; // the environment turned the addon off
    expect(fusedGeluAvailable()).toBe(true);
    expect(info.fixes).toContain('fused GELU and attention softmax (native loops)');
  });

  it('give the op-by-op values and gradients', async () => {
    await initRuntime({ backend: 'wasm' });
    const kernel = tf.getKernel(geluKernelName, 'wasm');
    if (!kernel) return;
    const fused = geluAndGradient();
    tf.unregisterKernel(geluKernelName, 'wasm');
    let reference: ReturnType<typeof geluAndGradient>;
    try {
      expect(fusedGeluAvailable()).toBe(false);
      reference = geluAndGradient();
    } finally {
      tf.registerKernel(kernel);
    }
    expectTensorClose(fused.y, reference.y, { atol: 2e-6, rtol: 1e-5, label: 'y' });
    expectTensorClose(fused.dx, reference.dx, { atol: 2e-6, rtol: 1e-5, label: 'dx' });
    // GELU itself, not a copy: GELU(0) = 0, GELU(x ≈ −6) ≈ 0, GELU(x ≈ 6) ≈ x, GELU(1) = 0.8413.
    expect(fused.y[0]).toBe(0);
    expect(Math.abs(fused.y[1]!)).toBeLessThan(1e-7);
    expect(fused.y[119]).toBeGreaterThan(5.9);
  });

  it('leak nothing forward or backward', async () => {
    await initRuntime({ backend: 'wasm' });
    await expectNoTensorLeak(() => {
      geluAndGradient();
    }, 'fused GELU');
  });
});
