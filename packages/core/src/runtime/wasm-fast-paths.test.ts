import os from 'node:os';

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { expectTensorClose } from '../testing/expect-tensor-close.js';
import { trainBlock } from './__fixtures__/train-block.js';
import { initRuntime } from './init-runtime.js';

describe('the wasm fast paths (as initRuntime selects them here)', () => {
  it('give the native BLAS half the logical CPUs unless a BLAS thread variable is set', async () => {
    const info = await initRuntime({ backend: 'wasm' });
    const set = ['UMD_BLAS_THREADS', 'OPENBLAS_NUM_THREADS', 'GOTO_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'BLIS_NUM_THREADS'].some(
      (name) => process.env[name],
    );
    if (info.matMul !== 'native-blas' || set) return; // nothing to check here: no native BLAS, or the environment sets the threads
    const threads = Math.max(1, Math.floor(os.availableParallelism() / 2));
    expect(info.fixes.find((fix) => fix.startsWith('native BLAS matMul'))).toMatch(
      new RegExp(`, ${threads} threads?(, addon compiled on first use in [\\d.]+ s)?\\)$`),
    );
  });

  it('train a transformer block like the cpu backend, to float32 tolerance, leaking nothing', async () => {
    const info = await initRuntime({ backend: 'wasm' });
    const before = tf.memory().numTensors;
    const onWasm = trainBlock();
    expect(tf.memory().numTensors).toBe(before);
    await initRuntime({ backend: 'cpu' });
    const onCpu = trainBlock();
    expect(onWasm.losses[2]).toBeLessThan(onWasm.losses[0]!);
    expectTensorClose(onWasm.losses, onCpu.losses, { atol: 1e-5, rtol: 1e-4, label: `losses (matMul ${info.matMul})` });
    expectTensorClose(onWasm.gradients, onCpu.gradients, { atol: 1e-6, rtol: 1e-3, label: `gradients (matMul ${info.matMul})` });
    expectTensorClose(onWasm.parameters, onCpu.parameters, { atol: 1e-4, rtol: 1e-4, label: `parameters (matMul ${info.matMul})` });
  });
});
