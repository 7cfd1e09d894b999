import * as tf from '@tensorflow/tfjs-core';

import { tensorReference } from './saved-tensors-by-reference.js';

/**
 * `dy` summed over the axes `shape` was broadcast along, in `shape`. tfjs-core's gradients end in a reshape even when
 * nothing was summed (it hands the backward pass a new tensor object); here the sum or the multiply already is one, and
 * an untouched `dy` becomes a {@link tensorReference}: no kernel either way.
 */
function reduceTo(dy: tf.Tensor, shape: readonly number[], outShape: readonly number[], fresh: boolean): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes([...shape], [...outShape]);
  if (axes.length === 0) return fresh ? dy : tensorReference(dy);
  const summed = tf.sum(dy, axes);
  return tf.util.arraysEqual(summed.shape, [...shape]) ? summed : tf.reshape(summed, [...shape]);
}

/** A float32 operand for a gradient product: tfjs casts every time, a kernel even when it is float32 already. */
const asFloat = (x: tf.Tensor): tf.Tensor => (x.dtype === 'float32' ? x : tf.cast(x, 'float32'));

/**
 * The gradients of `Add`, `Sub` and `Multiply` with tfjs-core's values (the same kernels in the same order, bitwise
 * equal) minus the no-op kernels: the reshape that ends every Add / Sub gradient and the float32 cast of a float32
 * operand in every Multiply gradient, about 600 of the 4,040 kernels of a `tiny` MR-Pretrain step.
 */
export const elementwiseGradients: readonly tf.GradConfig[] = [
  {
    kernelName: tf.Add,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      return { a: () => reduceTo(dy as tf.Tensor, a.shape, outShape, false), b: () => reduceTo(dy as tf.Tensor, b.shape, outShape, false) };
    },
  },
  {
    kernelName: tf.Sub,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      return {
        a: () => reduceTo(dy as tf.Tensor, a.shape, outShape, false),
        b: () => {
          // tfjs: reshape(neg(sum(dy)), b.shape); the same kernels minus the reshape when the shape already fits.
          const axes = tf.backend_util.getReductionAxes([...b.shape], outShape);
          const negated = tf.neg(axes.length > 0 ? tf.sum(dy as tf.Tensor, axes) : (dy as tf.Tensor));
          return tf.util.arraysEqual(negated.shape, b.shape) ? negated : tf.reshape(negated, b.shape);
        },
      };
    },
  },
  {
    kernelName: tf.Multiply,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [tf.Tensor, tf.Tensor];
      const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      return {
        a: () => reduceTo(tf.mul(dy as tf.Tensor, asFloat(b)), a.shape, outShape, true),
        b: () => reduceTo(tf.mul(dy as tf.Tensor, asFloat(a)), b.shape, outShape, true),
      };
    },
  },
];
