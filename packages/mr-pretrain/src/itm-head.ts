import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, Linear, Module, type SeededRandom } from '@umd/core';

/** Image-text matching, registered as `heads.itm`: `classifier` Linear(2D → 2) on the pooled pair (class 1 = match). */
export class ItmHead extends Module {
  private readonly classifier: Linear;

  /** @param pooledDim 2D, the width of `[text CLS ; image CLS]` */
  constructor(pooledDim: number, random: SeededRandom) {
    super();
    this.classifier = this.addModule('classifier', new Linear(pooledDim, 2, random));
  }

  /** pooled [B, 2D] -> logits [B, 2] (caller owns). */
  forward(pooled: tf.Tensor): tf.Tensor2D {
    return this.classifier.forward(pooled) as tf.Tensor2D;
  }
}

/** Which samples see another sample's image, for L_ITM. */
export interface ItmPairing {
  /** [B] the batch index of the image each sample sees (itself when matched). */
  readonly imageSource: Int32Array;
  /** [B] 1 = matched pair, 0 = mismatched. */
  readonly labels: Int32Array;
}

/**
 * Mismatches round(B/2) randomly chosen samples: each gets the image of another sample, by a uniformly drawn
 * derangement of the batch (no sample keeps its own image), so negatives never coincide with positives by index.
 *
 * @throws InvalidConfigError when B < 2 (no other image to swap in)
 */
export function itmPairing(batchSize: number, random: SeededRandom): ItmPairing {
  if (!(Number.isInteger(batchSize) && batchSize >= 2)) throw new InvalidConfigError('batchSize', batchSize, 'an integer ≥ 2 when L_ITM is on');
  const derangement = randomDerangement(batchSize, random);
  const order = random.permutation(batchSize);
  const mismatched = Math.round(batchSize / 2);
  const imageSource = Int32Array.from({ length: batchSize }, (_, i) => i);
  const labels = new Int32Array(batchSize).fill(1);
  for (let k = 0; k < mismatched; k++) {
    const i = order[k]!;
    imageSource[i] = derangement[i]!;
    labels[i] = 0;
  }
  return { imageSource, labels };
}

/** A uniformly random permutation without fixed points (rejection sampling: about e ≈ 2.7 tries on average). */
export function randomDerangement(n: number, random: SeededRandom): Int32Array {
  if (!(Number.isInteger(n) && n >= 2)) throw new InvalidConfigError('randomDerangement(n)', n, 'an integer ≥ 2');
  for (;;) {
    const candidate = random.permutation(n);
    if (candidate.every((value, index) => value !== index)) return candidate;
  }
}

/**
 * Binary cross-entropy of ITM logits [B, 2] against `labels` [B] (1 = match), as a two-class softmax; a scalar the
 * caller owns.
 */
export function itmLoss(logits: tf.Tensor, labels: tf.Tensor): tf.Scalar {
  return tf.tidy('mr-pretrain/itm-loss', () => {
    const oneHot = tf.oneHot(labels, 2); // [B, 2]
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), -1))) as tf.Scalar;
  });
}
