import * as tf from '@tensorflow/tfjs-core';

import type { SeededRandom } from '../random/seeded-random.js';

/** How a weight tensor is initialised. All draws come from an injected {@link SeededRandom}. */
export type Initializer =
  | { readonly kind: 'normal'; readonly std: number }
  | { readonly kind: 'truncated-normal'; readonly std: number }
  | { readonly kind: 'xavier-uniform' }
  | { readonly kind: 'zeros' }
  | { readonly kind: 'ones' };

/** BERT/ViT default: N(0, 0.02²) truncated at ±2σ. */
export const defaultInitializer: Initializer = { kind: 'truncated-normal', std: 0.02 };

/** Creates a new float32 tensor of `shape` (the caller owns it). `fanIn`/`fanOut` are used by xavier. */
export function initTensor(shape: readonly number[], initializer: Initializer, random: SeededRandom): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  switch (initializer.kind) {
    case 'zeros':
      return tf.zeros(shape as number[]);
    case 'ones':
      return tf.ones(shape as number[]);
    case 'normal':
      return tf.tensor(random.normalArray(size, 0, initializer.std), shape as number[]);
    case 'truncated-normal': {
      const values = new Float32Array(size);
      for (let i = 0; i < size; i++) {
        let z = random.normal();
        while (z < -2 || z > 2) z = random.normal();
        values[i] = z * initializer.std;
      }
      return tf.tensor(values, shape as number[]);
    }
    case 'xavier-uniform': {
      const fanIn = shape.length >= 2 ? shape[shape.length - 2]! : size;
      const fanOut = shape[shape.length - 1] ?? size;
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      return tf.tensor(random.uniformArray(size, -limit, limit), shape as number[]);
    }
  }
}
