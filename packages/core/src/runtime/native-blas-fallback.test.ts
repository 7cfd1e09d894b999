import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { expectTensorClose } from '../testing/expect-tensor-close.js';
import { trainBlock } from './__fixtures__/train-block.js';
import { initRuntime } from './init-runtime.js';

describe('wasm with the native BLAS disabled (UMD_NATIVE_BLAS=0)', () => {
  it('says once that it uses the wasm matMul, and trains like the cpu backend', async () => {
    const lines: string[] = [];
    const info = await initRuntime({ backend: 'wasm', env: { UMD_NATIVE_BLAS: '0' }, onLog: (line) => lines.push(line) });
    expect(info.matMul).toBe('wasm');
    expect(info.fixes).toContain('wasm matMul (native BLAS disabled)');
    expect(info.fixes).not.toContain('native exp/erf');
    expect(info.fixes).toContain('fused AdamW update (JavaScript loop)');
    expect(info.fixes).toContain('Sum over leading axes without transpose (JavaScript loop)');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/wasm matMul \(native BLAS disabled\)/);
    const onWasm = trainBlock();
    await initRuntime({ backend: 'cpu' });
    const onCpu = trainBlock();
    expectTensorClose(onWasm.losses, onCpu.losses, { atol: 1e-5, rtol: 1e-4 });
    expectTensorClose(onWasm.gradients, onCpu.gradients, { atol: 1e-6, rtol: 1e-3 });
    expectTensorClose(onWasm.parameters, onCpu.parameters, { atol: 1e-4, rtol: 1e-4 });
    expect(tf.getBackend()).toBe('cpu');
  });
});
