import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { expect } from 'vitest';

/** Selects the cpu backend (call in `beforeAll`). Tests compare exact values, so they run on cpu. */
export async function useCpuBackend(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** Runs `fn`, disposes what it returns, and expects the live tensor count to be unchanged. */
export async function expectNoTensorLeak(fn: () => unknown): Promise<void> {
  const before = tf.memory().numTensors;
  tf.dispose((await fn()) as tf.TensorContainer);
  expect(tf.memory().numTensors).toBe(before);
}

/** Reads a tensor back as a plain nested array. */
export async function values(tensor: tf.Tensor): Promise<number[]> {
  return Array.from(await tensor.data());
}
