import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { expectNoTensorLeak } from '../testing/expect-no-tensor-leak.js';
import { expectTensorClose } from '../testing/expect-tensor-close.js';
import { initRuntime } from './init-runtime.js';

const info = await initRuntime({ backend: 'wasm' });
const native = info.fixes.includes('native exp/erf');

describe.skipIf(!native)(`native Exp and Erf kernels (wasm)${native ? '' : ' (skipped: native BLAS unavailable here)'}`, () => {
  const values = Float32Array.from({ length: 2001 }, (_, i) => (i - 1000) / 50); // [-20, 20]

  for (const [name, op] of [
    ['exp', tf.exp],
    ['erf', tf.erf],
  ] as const) {
    it(`computes ${name} like the cpu backend, to float32 rounding`, async () => {
      await initRuntime({ backend: 'wasm' });
      const onWasm = tf.tidy(() => op(tf.tensor1d(values)));
      const wasmValues = await onWasm.data();
      onWasm.dispose();
      await initRuntime({ backend: 'cpu' });
      const onCpu = tf.tidy(() => op(tf.tensor1d(values)));
      expectTensorClose(wasmValues, await onCpu.data(), { atol: 3e-7, rtol: 3e-7 });
      onCpu.dispose();
    });
  }

  it('leaves int32 inputs to the original kernel and leaks nothing', async () => {
    await initRuntime({ backend: 'wasm' });
    const x = tf.tensor1d([0, 1, 2], 'int32');
    await expectNoTensorLeak(() => {
      const y = tf.exp(x);
      expect(y.dtype).toBe('float32');
      expectTensorClose(y.dataSync(), [1, Math.E, Math.E ** 2], { atol: 1e-5 });
      return y;
    });
    x.dispose();
  });
});
