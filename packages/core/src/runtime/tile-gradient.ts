import * as tf from '@tensorflow/tfjs-core';

/**
 * The gradient of `Tile` as one reshape and one sum: dy [r0·x0, r1·x1, …] viewed as [r0, x0, r1, x1, …] and summed over
 * the repetition axes. tfjs-core's gradient adds up one slice per repetition — 2 kernels per tile, so tiling MAE's mask
 * token to [32, 27, 1] cost 1,728 kernels in every pre-training step — and stops at rank 4; this one is 3-4 kernels
 * at any rank. Values equal tfjs' up to float32 summation order.
 */
export const tileGradient: tf.GradConfig = {
  kernelName: tf.Tile,
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    const { reps } = attrs as unknown as { reps: number[] };
    return {
      x: () => {
        const gradient = dy as tf.Tensor;
        const interleaved = x.shape.flatMap((size, d) => [reps[d]!, size]); // [r0, x0, r1, x1, …]
        const repetitionAxes = x.shape.map((_, d) => 2 * d).filter((axis) => interleaved[axis]! > 1);
        const reshaped = tf.reshape(gradient, interleaved);
        const summed = repetitionAxes.length > 0 ? tf.sum(reshaped, repetitionAxes) : reshaped;
        return tf.reshape(summed, x.shape);
      },
    };
  },
};
