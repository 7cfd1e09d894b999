import * as tf from '@tensorflow/tfjs-core';

/**
 * The gradient of `BatchMatMul` (every `tf.matMul`), as tfjs-core defines it, plus what tfjs omits: gradients of
 * broadcast batch dimensions are summed back to each input's shape (tfjs returns them unreduced, with the wrong shape).
 *
 * For C = op(A)·op(B):
 *   no/no: dA = dC·Bᵀ,   dB = Aᵀ·dC
 *   no/T : dA = dC·B,    dB = dCᵀ·A
 *   T/no : dA = B·dCᵀ,   dB = A·dC
 *   T/T  : dA = Bᵀ·dCᵀ,  dB = dCᵀ·Aᵀ
 * The transposes are matMul flags; on wasm, the plain-layout matMul kernel (plain-layout-mat-mul-kernel.ts) turns them into fast transpose + plain
 * matMul (tfjs' flagged wasm matMul was 93% of a transformer training step).
 */
export const batchMatMulGradient: tf.GradConfig = {
  kernelName: tf.BatchMatMul,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const dC = dy as tf.Tensor;
    let gradA: () => tf.Tensor;
    let gradB: () => tf.Tensor;
    if (!transposeA && !transposeB) {
      gradA = () => tf.matMul(dC, b, false, true);
      gradB = () => tf.matMul(a, dC, true, false);
    } else if (!transposeA && transposeB) {
      gradA = () => tf.matMul(dC, b, false, false);
      gradB = () => tf.matMul(dC, a, true, false);
    } else if (transposeA && !transposeB) {
      gradA = () => tf.matMul(b, dC, false, true);
      gradB = () => tf.matMul(a, dC, false, false);
    } else {
      gradA = () => tf.matMul(b, dC, true, true);
      gradB = () => tf.matMul(dC, a, true, true);
    }
    return { a: () => sumToShape(gradA(), a.shape), b: () => sumToShape(gradB(), b.shape) };
  },
};

/** Sums a broadcast gradient [...batch, M, N] back to `shape` [...batch', M, N]. */
function sumToShape(gradient: tf.Tensor, shape: readonly number[]): tf.Tensor {
  if (tf.util.arraysEqual(gradient.shape, shape as number[])) return gradient;
  const extra = gradient.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < gradient.rank - 2; i++) {
    if (i < extra || (shape[i - extra] === 1 && gradient.shape[i] !== 1)) axes.push(i);
  }
  const summed = axes.length > 0 ? tf.sum(gradient, axes, true) : gradient;
  return tf.reshape(summed, shape as number[]);
}
