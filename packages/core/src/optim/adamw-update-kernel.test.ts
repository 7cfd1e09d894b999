import * as tf from '@tensorflow/tfjs-core';
import { loadNativeBlas, type NativeBlas } from '@umd/native-blas';
import { describe, expect, it } from 'vitest';

import type { Parameter } from '../nn/module.js';
import { SeededRandom } from '../random/seeded-random.js';
import { expectStableTensorCount } from '../testing/expect-no-tensor-leak.js';
import { initRuntime } from '../runtime/init-runtime.js';
import { AdamW } from './adamw.js';
import { adamWUpdateKernelName, adamWUpdateKernels } from './adamw-update-kernel.js';

let native: NativeBlas | undefined;
try {
  native = loadNativeBlas({ env: {} });
} catch {
  native = undefined;
}

/** Four steps of AdamW (two groups, decayed and not, a late parameter) with or without the fused kernel. */
function train(fused: tf.KernelConfig | undefined): { values: Float32Array[]; moments: Float32Array[] } {
  const backend = tf.getBackend();
  if (tf.getKernel(adamWUpdateKernelName, backend)) tf.unregisterKernel(adamWUpdateKernelName, backend);
  if (fused) tf.registerKernel(fused);
  const random = new SeededRandom(3);
  const parameters: Parameter[] = [
    { name: 'w', variable: tf.variable(tf.tensor2d(random.normalArray(6 * 5), [6, 5])), weightDecay: true },
    { name: 'b', variable: tf.variable(tf.tensor1d(random.normalArray(5))), weightDecay: false },
    { name: 'heads.w', variable: tf.variable(tf.tensor1d(random.normalArray(7))), weightDecay: true },
  ];
  const optimizer = new AdamW(parameters, { learningRate: 1e-2, weightDecay: 0.05, groups: [{ prefix: 'heads.', learningRateMultiplier: 10 }] });
  for (let step = 0; step < 4; step++) {
    optimizer.setLearningRate(1e-2 * (1 - step / 8));
    const grads = Object.fromEntries(
      parameters.filter((p) => step > 1 || p.name !== 'heads.w').map((p) => [p.name, tf.tensor(random.normalArray(p.variable.size), p.variable.shape)]),
    );
    optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
  }
  const result = {
    values: parameters.map((p) => p.variable.dataSync() as Float32Array),
    moments: Object.values(optimizer.weights()).map((t) => t.dataSync() as Float32Array),
  };
  optimizer.dispose();
  tf.dispose(parameters.map((p) => p.variable));
  return result;
}

const variants: { label: string; backend: 'cpu' | 'wasm'; kernel: () => tf.KernelConfig; skip?: string }[] = [
  { label: 'cpu (JavaScript loop)', backend: 'cpu', kernel: () => adamWUpdateKernels()[1]! },
  { label: 'wasm (JavaScript loop)', backend: 'wasm', kernel: () => adamWUpdateKernels()[0]! },
  {
    label: 'wasm (native loop)',
    backend: 'wasm',
    kernel: () => adamWUpdateKernels(native)[0]!,
    ...(native ? {} : { skip: ' (skipped: native BLAS unavailable here)' }),
  },
];

describe('fused AdamW update kernel', () => {
  for (const variant of variants) {
    it.skipIf(variant.skip !== undefined)(
      `gives bit-identical parameters and moments to the op-by-op update on ${variant.label}${variant.skip ?? ''}`,
      async () => {
        await initRuntime({ backend: variant.backend });
        const installed = tf.getKernel(adamWUpdateKernelName, variant.backend);
        try {
          const reference = train(undefined);
          const fused = train(variant.kernel());
          expect(fused.values).toEqual(reference.values);
          expect(fused.moments).toEqual(reference.moments);
          expect(fused.values[0]).not.toEqual(new Float32Array(30)); // the update did something
        } finally {
          if (tf.getKernel(adamWUpdateKernelName, variant.backend)) tf.unregisterKernel(adamWUpdateKernelName, variant.backend);
          if (installed) tf.registerKernel(installed);
        }
      },
    );
  }

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`is installed by initRuntime on ${backend} and leaks nothing`, async () => {
      const info = await initRuntime({ backend });
      expect(info.fixes.some((fix) => fix.startsWith('fused AdamW update'))).toBe(true);
      expect(tf.getKernel(adamWUpdateKernelName, backend)).toBeDefined();
      const variable = tf.variable(tf.ones([3, 4]));
      const optimizer = new AdamW([{ name: 'x', variable, weightDecay: true }], { learningRate: 0.1 });
      const gradient = tf.fill([3, 4], 0.5);
      await expectStableTensorCount(() => optimizer.applyGradients({ x: gradient }));
      expect(variable.dataSync()[0]).toBeLessThan(1);
      optimizer.dispose();
      tf.dispose([variable, gradient]);
    });
  }
});
