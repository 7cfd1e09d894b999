import * as tf from '@tensorflow/tfjs-core';

/**
 * Throws unless `actual` and `expected` have the same shape and every element satisfies
 * |a - e| <= atol + rtol·|e|. Reports the worst element. Inputs are borrowed.
 */
export function expectTensorClose(
  actual: tf.Tensor | ArrayLike<number>,
  expected: tf.Tensor | ArrayLike<number>,
  options: { readonly atol?: number; readonly rtol?: number; readonly label?: string } = {},
): void {
  const { atol = 1e-5, rtol = 1e-4, label = 'expectTensorClose' } = options;
  if (actual instanceof tf.Tensor && expected instanceof tf.Tensor && !tf.util.arraysEqual(actual.shape, expected.shape)) {
    throw new Error(`${label}: shape [${actual.shape.join(', ')}] differs from expected [${expected.shape.join(', ')}].`);
  }
  const a = actual instanceof tf.Tensor ? actual.dataSync() : actual;
  const e = expected instanceof tf.Tensor ? expected.dataSync() : expected;
  if (a.length !== e.length) throw new Error(`${label}: ${a.length} values, expected ${e.length}.`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.length; i++) {
    const excess = Math.abs(Number(a[i]) - Number(e[i])) - (atol + rtol * Math.abs(Number(e[i])));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new Error(`${label}: element ${worst} is ${a[worst]}, expected ${e[worst]} (atol ${atol}, rtol ${rtol}).`);
  }
}
