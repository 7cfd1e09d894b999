import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `fn`, disposes whatever tensors it returns, and throws if the live tensor count changed. Async functions are
 * awaited. Framework-agnostic (throws an Error), so it works in vitest, jest or node:test.
 */
export async function expectNoTensorLeak<T>(fn: () => T | Promise<T>, label = 'expectNoTensorLeak'): Promise<void> {
  const before = tf.memory().numTensors;
  const result = await fn();
  tf.dispose(result as tf.TensorContainer);
  const after = tf.memory().numTensors;
  if (after !== before) {
    throw new Error(`${label}: ${after - before} tensor(s) leaked (${before} live before, ${after} after).`);
  }
}

/**
 * For training steps: runs `step` `warmup` times (optimizers create their slots lazily on the first step), then
 * `repeats` more times, and throws unless the tensor count after each of those equals the count after warm-up.
 * Returns the steady count.
 */
export async function expectStableTensorCount(
  step: () => unknown | Promise<unknown>,
  options: { readonly warmup?: number; readonly repeats?: number; readonly label?: string } = {},
): Promise<number> {
  const { warmup = 2, repeats = 5, label = 'expectStableTensorCount' } = options;
  for (let i = 0; i < warmup; i++) tf.dispose((await step()) as tf.TensorContainer);
  const steady = tf.memory().numTensors;
  for (let i = 0; i < repeats; i++) {
    tf.dispose((await step()) as tf.TensorContainer);
    const now = tf.memory().numTensors;
    if (now !== steady) {
      throw new Error(`${label}: step ${warmup + i + 1} left ${now - steady} extra tensor(s) (steady count ${steady}, now ${now}).`);
    }
  }
  return steady;
}
