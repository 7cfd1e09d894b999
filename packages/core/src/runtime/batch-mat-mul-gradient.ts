import * as tf from '@tensorflow/tfjs-core';

/**
 * The gradient of `BatchMatMul` (every `tf.matMul`) written with explicit transposes and plain matMuls.
 *
 * tfjs-core's own gradient computes dA and dB with `transposeA`/`transposeB` flags. The wasm backend runs a matMul
 * with either flag 12-14× slower than the plain layout (measured here, ENVIRONMENT.md), and those flagged matMuls
 * were 93% of a transformer training step. Transposing first and multiplying plainly gives the same values and a
 * ~5× faster step on wasm. On other backends the flagged form is as fast and avoids the copies, so it is kept.
 *
 * For C = op(A)·op(B), with t(X) the transpose of the last two dimensions:
 *   no/no: dA = dC·t(B),     dB = t(A)·dC
 *   no/T : dA = dC·B,        dB = t(dC)·A
 *   T/no : dA = B·t(dC),     dB = A·dC
 *   T/T  : dA = t(B)·t(dC),  dB = t(dC)·t(A)
 * Broadcast batch dimensions are summed back to each input's shape (tfjs-core's gradient omits this).
 */
export const batchMatMulGradient: tf.GradConfig = {
  kernelName: tf.BatchMatMul,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved as [tf.Tensor, tf.Tensor];
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    const dC = dy as tf.Tensor;
    const plain = tf.getBackend() === 'wasm';
    const mm = (x: tf.Tensor, y: tf.Tensor, tx: boolean, ty: boolean): tf.Tensor =>
      plain ? tf.matMul(tx ? lastTwoTransposed(x) : x, ty ? lastTwoTransposed(y) : y) : tf.matMul(x, y, tx, ty);
    let gradA: () => tf.Tensor;
    let gradB: () => tf.Tensor;
    if (!transposeA && !transposeB) {
      gradA = () => mm(dC, b, false, true);
      gradB = () => mm(a, dC, true, false);
    } else if (!transposeA && transposeB) {
      gradA = () => mm(dC, b, false, false);
      gradB = () => mm(dC, a, true, false);
    } else if (transposeA && !transposeB) {
      gradA = () => mm(b, dC, false, true);
      gradB = () => mm(a, dC, false, false);
    } else {
      gradA = () => mm(b, dC, true, true);
      gradB = () => mm(dC, a, true, true);
    }
    return { a: () => sumToShape(gradA(), a.shape), b: () => sumToShape(gradB(), b.shape) };
  },
};

/** Transposes the last two dimensions: [..., M, N] -> [..., N, M]. */
function lastTwoTransposed(x: tf.Tensor): tf.Tensor {
  const rank = x.rank;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return tf.transpose(x, perm);
}

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
