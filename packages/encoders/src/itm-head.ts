import type * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, type SeededRandom } from '@umd/core';

/**
 * Image-text matching on the pooled pair, registered as `heads.itm` by MR pre-training (L_ITM) and by retrieval
 * tuning (the fused re-ranking head): `classifier` Linear(2D → 2), class 1 = the text matches the image (M3AE's
 * `ITMHead`). One layout for both, so a pre-trained ITM head carries over to retrieval.
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
