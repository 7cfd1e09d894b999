import * as tf from '@tensorflow/tfjs-core';

import { TransformerBlock } from '../../nn/transformer-block.js';
import { AdamW } from '../../optim/adamw.js';
import { SeededRandom } from '../../random/seeded-random.js';
import { valueAndGrads } from '../value-and-grads.js';

/**
 * Three AdamW steps of a small pre-LN transformer block (x [3, 8, 32], 4 heads, MLP 64, key padding on the last two
 * positions of the second sequence) on the current backend: the losses, every gradient of the first step, and the
 * parameters afterwards. (Compare parameters with atol ~1e-4: Adam turns the float32 noise of gradients that are 0
 * in exact arithmetic — the key bias's — into updates of ~1e-5.)
 */
export function trainBlock(): { losses: number[]; gradients: Float32Array; parameters: Float32Array } {
  const random = new SeededRandom('train-block');
  const block = new TransformerBlock({ dim: 32, heads: 4, mlpDim: 64 }, random);
  const optimizer = new AdamW(block.parameters(), { learningRate: 1e-2, weightDecay: 0.01 });
  const x = tf.tensor3d(random.normalArray(3 * 8 * 32), [3, 8, 32]);
  const target = tf.tensor3d(random.normalArray(3 * 8 * 32), [3, 8, 32]);
  const mask = tf.tensor2d(
    Float32Array.from({ length: 24 }, (_, i) => (i >= 14 && i < 16 ? 0 : 1)),
    [3, 8],
  );
  const losses: number[] = [];
  let gradients: Float32Array = new Float32Array(0);
  for (let step = 0; step < 3; step++) {
    const loss = tf.tidy(() => {
      const { value, grads } = valueAndGrads(() => tf.mean(tf.squaredDifference(block.forward(x, { keyPaddingMask: mask }), target)), block.parameters());
      if (step === 0) gradients = tf.concat(Object.values(grads).map((g) => tf.reshape(g, [-1]))).dataSync() as Float32Array;
      optimizer.applyGradients(grads);
      return value;
    });
    losses.push(loss.dataSync()[0]!);
    loss.dispose();
  }
  const parameters = tf.tidy(() => tf.concat(block.parameters().map((p) => tf.reshape(p.variable, [-1]))).dataSync() as Float32Array);
  optimizer.dispose();
  block.dispose();
  tf.dispose([x, target, mask]);
  return { losses, gradients, parameters };
}
