import * as tf from '@tensorflow/tfjs-core';

import { InvalidConfigError } from '../errors/invalid-config-error.js';
import type { NamedTensors } from '../nn/module.js';

/** Added to the norm before dividing, as in `torch.nn.utils.clip_grad_norm_`. */
const normEpsilon = 1e-6;

/**
 * The global L2 norm √(Σ‖g‖²) over every gradient, as one tensor (no read-back).
 *
 * @param grads gradients of any shapes; borrowed
 * @returns scalar float32, owned by the caller (0 for an empty map)
 */
export function globalNorm(grads: NamedTensors): tf.Scalar {
  return tf.tidy('optim/global-norm', () => {
    const squares: tf.Scalar[] = Object.values(grads).map((gradient) => tf.sum(tf.square(toFloat(gradient))));
    if (squares.length === 0) return tf.scalar(0);
    const total = squares.length === 1 ? (squares[0] as tf.Scalar) : (tf.addN(squares) as tf.Scalar);
    return tf.sqrt(total);
  });
}

/**
 * Scales every gradient by `min(1, maxNorm / (norm + 1e-6))`, where `norm` is their global L2 norm, so that the
 * clipped set has norm ≤ `maxNorm` and small gradients pass unchanged. Runs without a read-back (the scale stays on
 * the device), so it adds no sync point.
 *
 * @param grads gradients keyed by parameter name; borrowed (left untouched)
 * @param maxNorm the largest global norm allowed, > 0
 * @returns new clipped gradients (same keys and shapes) and the norm before clipping; the caller owns all of them
 */
export function clipGradNorm(grads: NamedTensors, maxNorm: number): { grads: NamedTensors; norm: tf.Scalar } {
  if (!(Number.isFinite(maxNorm) && maxNorm > 0)) throw new InvalidConfigError('maxNorm', maxNorm, 'a finite number > 0');
  return tf.tidy('optim/clip-grad-norm', () => {
    const norm = globalNorm(grads);
    const scale = tf.minimum(tf.scalar(1), tf.div(tf.scalar(maxNorm), tf.add(norm, tf.scalar(normEpsilon))));
    const clipped: NamedTensors = {};
    for (const name in grads) {
      const gradient = grads[name];
      if (gradient !== undefined) clipped[name] = tf.mul(gradient, scale);
    }
    return { grads: clipped, norm };
  });
}

function toFloat(tensor: tf.Tensor): tf.Tensor {
  return tensor.dtype === 'float32' ? tensor : tf.cast(tensor, 'float32');
}
