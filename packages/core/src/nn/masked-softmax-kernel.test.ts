import * as tf from '@tensorflow/tfjs-core';
import { loadNativeBlas, type NativeBlas } from '@umd/native-blas';
import { describe, expect, it } from 'vitest';

import { SeededRandom } from '../random/seeded-random.js';
import { initRuntime } from '../runtime/init-runtime.js';
import { expectNoTensorLeak } from '../testing/expect-no-tensor-leak.js';
import { expectTensorClose } from '../testing/expect-tensor-close.js';
import { fusedMaskedSoftmaxAvailable, maskedSoftmaxKernelName } from './masked-softmax-kernel.js';
import { MultiHeadAttention } from './multi-head-attention.js';

let native: NativeBlas | undefined;
try {
  native = loadNativeBlas({ env: {} });
} catch {
  native = undefined;
}

/** Self-attention over x [2, 6, 16] (second sample padded after 4 tokens): output and gradients of a weighted sum. */
function attend(masked: boolean): { y: Float32Array; dx: Float32Array; dW: Float32Array } {
  const random = new SeededRandom(9);
  const attention = new MultiHeadAttention({ dim: 16, heads: 4 }, random);
  const x = tf.tensor3d(
    random.normalArray(2 * 6 * 16).map((v) => 2 * v),
    [2, 6, 16],
  );
  const mask = masked ? tf.tensor2d([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0], [2, 6], 'int32') : undefined;
  const weights = tf.tensor3d(random.normalArray(2 * 6 * 16), [2, 6, 16]);
  const run = (input: tf.Tensor): tf.Tensor => attention.forward(input, mask ? { keyPaddingMask: mask } : {});
  const y = run(x);
  const qkv = attention.parameters().find((p) => p.name.startsWith('qkv') && p.name.endsWith('weight'))!.variable;
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(run(x), weights)) as tf.Scalar, [qkv]);
  const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(run(input), weights)))(x);
  const result = { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, dW: grads[qkv.name]!.dataSync() as Float32Array };
  tf.dispose([x, weights, y, dx, value, ...Object.values(grads), ...(mask ? [mask] : [])]);
  attention.dispose();
  return result;
}

describe.skipIf(!native)('the fused attention softmax (wasm with the native addon)', () => {
  it.each([true, false])('gives the op-by-op values and gradients (key padding mask: %s)', async (masked) => {
    await initRuntime({ backend: 'wasm' });
    const kernel = tf.getKernel(maskedSoftmaxKernelName, 'wasm');
    if (!kernel) return; // the environment turned the addon off
    const fused = attend(masked);
    tf.unregisterKernel(maskedSoftmaxKernelName, 'wasm');
    let reference: ReturnType<typeof attend>;
    try {
      expect(fusedMaskedSoftmaxAvailable()).toBe(false);
      reference = attend(masked);
    } finally {
      tf.registerKernel(kernel);
    }
    expectTensorClose(fused.y, reference.y, { atol: 1e-5, rtol: 1e-4, label: 'y' });
    expectTensorClose(fused.dx, reference.dx, { atol: 1e-5, rtol: 1e-3, label: 'dx' });
    expectTensorClose(fused.dW, reference.dW, { atol: 1e-5, rtol: 1e-3, label: 'dW' });
    if (masked) {
      // The mask matters: the padded sample's outputs differ from the unmasked attention's.
      const unmasked = attend(false);
      expect(Math.abs(unmasked.y[6 * 16 + 1]! - fused.y[6 * 16 + 1]!)).toBeGreaterThan(1e-4);
    }
  });

  it('leaks nothing forward or backward', async () => {
    await initRuntime({ backend: 'wasm' });
    await expectNoTensorLeak(() => {
      attend(true);
    }, 'fused attention softmax');
  });
});
