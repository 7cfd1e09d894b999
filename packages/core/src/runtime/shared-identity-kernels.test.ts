import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { expectNoTensorLeak } from '../testing/expect-no-tensor-leak.js';
import { initRuntime } from './init-runtime.js';

describe('Identity and same-dtype Cast without copies (wasm)', () => {
  it('share the data: no new bytes, values intact after the source is disposed', async () => {
    const info = await initRuntime({ backend: 'wasm' });
    expect(info.fixes).toContain('Identity/same-dtype Cast without copies');
    const x = tf.tensor1d([1.5, -2, 3]);
    const bytes = tf.memory().numBytes;
    const numDataBuffers = (tf.memory() as { numDataBuffers: number }).numDataBuffers;
    const clone = tf.clone(x);
    const cast = tf.cast(x, 'float32');
    expect((tf.memory() as { numDataBuffers: number }).numDataBuffers).toBe(numDataBuffers);
    x.dispose();
    expect(Array.from(clone.dataSync())).toEqual([1.5, -2, 3]);
    clone.dispose();
    expect(Array.from(cast.dataSync())).toEqual([1.5, -2, 3]);
    cast.dispose();
    expect(tf.memory().numBytes).toBe(bytes - 12);
  });

  it('still converts when the dtype changes, and keeps gradients right', async () => {
    await initRuntime({ backend: 'wasm' });
    const x = tf.tensor1d([1.7, -2.2, 0]);
    await expectNoTensorLeak(() => {
      const asInt = tf.cast(x, 'int32');
      expect(asInt.dtype).toBe('int32');
      expect(Array.from(asInt.dataSync())).toEqual([1, -2, 0]);
      const asBool = tf.cast(x, 'bool');
      expect(Array.from(asBool.dataSync())).toEqual([1, 1, 0]);
      // d/dx Σ x·x·x = 3x² (the gradient saves x several times: each saved copy is now a shared reference)
      const gradient = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.mul(v, v), v)))(x);
      expect(Array.from(gradient.dataSync()).map((v) => +v.toFixed(4))).toEqual([8.67, 14.52, 0]);
      return [asInt, asBool, gradient];
    });
    x.dispose();
  });
});
