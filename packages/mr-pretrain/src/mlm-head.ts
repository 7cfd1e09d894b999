import * as tf from '@tensorflow/tfjs-core';
import { LayerNorm, Linear, Module, ShapeMismatchError, gelu, type SeededRandom } from '@umd/core';

/**
 * BERT's MLM head, registered as `heads.mlm`: `transform` (Linear D → Dt), GELU, `norm` (LayerNorm Dt), then logits
 * against the text encoder's word embeddings (tied; not a parameter of this head) plus `bias` [V]. It runs only on
 * the predicted positions: a gather of N rows comes first, so the cost is N·Dt·V, never B·T·Dt·V.
 */
export class MlmHead extends Module {
  private readonly transform: Linear;
  private readonly norm: LayerNorm;
  private readonly bias: tf.Variable;

  /**
   * @param inputDim D of the fused text stream
   * @param wordEmbeddings [V, Dt] the text encoder's table (`model.text.wordEmbeddings`), borrowed for the model's life
   */
  constructor(
    inputDim: number,
    private readonly wordEmbeddings: tf.Variable,
    random: SeededRandom,
  ) {
    super();
    const [V, Dt] = wordEmbeddings.shape as [number, number];
    this.transform = this.addModule('transform', new Linear(inputDim, Dt, random));
    this.norm = this.addModule('norm', new LayerNorm(Dt));
    this.bias = this.addParameter('bias', tf.zeros([V]), { weightDecay: false });
  }

  /**
   * @param text [B, T, D] the fused text stream
   * @param positions [N] int32 flat positions b·T + t (see `maskTokens`)
   * @returns logits [N, V]; the caller owns them
   */
  forward(text: tf.Tensor, positions: tf.Tensor): tf.Tensor2D {
    const [B, T, D] = text.shape as [number, number, number];
    if (text.rank !== 3 || positions.rank !== 1 || positions.dtype !== 'int32') {
      throw new ShapeMismatchError('MlmHead(positions)', ['N'], positions.shape, 'Positions must be 1-D int32 flat indices b·T + t.');
    }
    return tf.tidy('mr-pretrain/mlm-head', () => {
      const picked = tf.gather(tf.reshape(text, [B * T, D]), positions); // [N, D]
      const h = this.norm.forward(gelu(this.transform.forward(picked))); // [N, Dt]
      return tf.add(tf.matMul(h, this.wordEmbeddings, false, true), this.bias) as tf.Tensor2D; // [N, V]
    });
  }
}
