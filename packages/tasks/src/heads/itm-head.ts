import type * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, type SeededRandom } from '@umd/core';

/**
 * The fused image-text matching head for retrieval, registered as `heads.itm`: `classifier` Linear(2D → 2) on the
 * pooled pair (class 1 = the caption matches the image), M3AE's `ITMHead` and the same layout as MR pre-training's.
 */
export class ItmHead extends Module {
  private readonly classifier: Linear;

  /** @param pooledDim 2D, the width of `[text CLS ; image CLS]` */
  constructor(pooledDim: number, random: SeededRandom) {
    super();
    this.classifier = this.addModule('classifier', new Linear(pooledDim, 2, random));
  }

  /** pooled [B, 2D] → logits [B, 2] (the caller owns them). */
  forward(pooled: tf.Tensor): tf.Tensor2D {
    return this.classifier.forward(pooled) as tf.Tensor2D;
  }
}
