import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, tidyStruct, type SeededRandom } from '@umd/core';

/** Unit-length embeddings of both modalities in the shared space of the first retrieval stage. */
export interface RetrievalEmbeddings {
  /** [B, P] L2-normalised. */
  readonly image: tf.Tensor2D;
  /** [B, P] L2-normalised. */
  readonly text: tf.Tensor2D;
}

/**
 * Small projections of the unimodal features into a shared space (CLIP/ALBEF-style), registered as
 * `heads.retrieval`: `image` Linear(Dv → P) on the image encoder's CLS, `text` Linear(Dt → P) on the text encoder's
 * CLS (or on the mean of each encoder's tokens: the tuning's `pooling`, see `poolUnimodal`). Trained with a contrastive (InfoNCE) loss so that their cosine is a meaningful, cheap first stage.
 */
export class RetrievalProjection extends Module {
  private readonly image: Linear;
  private readonly text: Linear;

  constructor(
    visionDim: number,
    textDim: number,
    readonly projectionDim: number,
    random: SeededRandom,
  ) {
    super();
    this.image = this.addModule('image', new Linear(visionDim, projectionDim, random));
    this.text = this.addModule('text', new Linear(textDim, projectionDim, random));
  }

  /** imageCls [B, Dv], textCls [B, Dt] → unit-length embeddings [B, P] each (the caller owns them). */
  forward(imageCls: tf.Tensor, textCls: tf.Tensor): RetrievalEmbeddings {
    return tidyStruct('tasks/retrieval-projection', () => ({
      image: l2Normalize(this.image.forward(imageCls)) as tf.Tensor2D,
      text: l2Normalize(this.text.forward(textCls)) as tf.Tensor2D,
    }));
  }
}

/** x [B, P] → x / ‖x‖ per row (ε keeps the gradient finite at 0). */
function l2Normalize(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.rsqrt(tf.add(tf.sum(tf.mul(x, x), -1, true), 1e-12)));
}
