import * as tf from '@tensorflow/tfjs-core';
import { LayerNorm, Linear, Module, ModuleList, ShapeMismatchError, TransformerBlock, initTensor, tidyStruct, type SeededRandom } from '@umd/core';
import { patchify, sinCosPositionEmbedding } from '@umd/encoders';

import type { MimDecoderConfig } from './mr-pretrain-config.js';

export interface MimDecoderOutput {
  /** [B, L, D_dec] the decoder's last hidden states (after its LayerNorm), raster order; L_FeaMIM reads them. */
  readonly hidden: tf.Tensor3D;
  /** [B, L, P·P·C] predicted pixels per patch (absent when the decoder was built without its pixel projection). */
  readonly pred?: tf.Tensor3D;
}

/**
 * MAE's decoder (`forward_decoder`): embed the visible tokens to D_dec (`embed`), append a learned mask token
 * (`maskToken`) for every removed patch, unshuffle to raster order with `restoreIndices`, add fixed 2-D sin-cos
 * positions, run pre-LN `blocks`, `norm`, and project each patch to its P·P·C pixels (`pred`).
 * Registered as `heads.mimDecoder`.
 */
export class MimDecoder extends Module {
  private readonly embed: Linear;
  private readonly maskToken: tf.Variable;
  private readonly blocks: ModuleList<TransformerBlock>;
  private readonly norm: LayerNorm;
  private readonly pred: Linear | undefined;
  /** [1, L, D_dec] fixed sin-cos positions; owned here, freed in `dispose()`. */
  private readonly positions: tf.Tensor3D;

  /**
   * @param inputDim D of the fused image stream
   * @param grid the patch grid (gh × gw) and pixels per patch (P·P·C)
   * @param withPixels false builds no `pred` projection (L_FeaMIM on, L_MIM off)
   */
  constructor(
    readonly config: MimDecoderConfig,
    inputDim: number,
    readonly grid: { readonly height: number; readonly width: number; readonly patchPixels: number },
    random: SeededRandom,
    withPixels = true,
  ) {
    super();
    const { dim, heads, mlpDim } = config;
    this.embed = this.addModule('embed', new Linear(inputDim, dim, random));
    this.maskToken = this.addParameter('maskToken', initTensor([1, 1, dim], { kind: 'normal', std: 0.02 }, random), { weightDecay: false });
    this.blocks = this.addModule('blocks', new ModuleList(Array.from({ length: config.depth }, () => new TransformerBlock({ dim, heads, mlpDim }, random))));
    this.norm = this.addModule('norm', new LayerNorm(dim));
    this.pred = withPixels ? this.addModule('pred', new Linear(dim, grid.patchPixels, random)) : undefined;
    this.positions = tf.tidy(() => tf.reshape(sinCosPositionEmbedding(grid.height, grid.width, dim), [1, grid.height * grid.width, dim]));
  }

  /**
   * @param image [B, 1 + Lv, D] the fused image stream (CLS first, then the visible patches in shuffle order)
   * @param restoreIndices [B, L] int32 (see `randomPatchMasking`)
   * @returns hidden [B, L, D_dec] and pred [B, L, P·P·C]; the caller owns them
   */
  forward(image: tf.Tensor, restoreIndices: tf.Tensor): MimDecoderOutput {
    const [B, N] = image.shape as [number, number, number];
    const L = this.grid.height * this.grid.width;
    if (image.rank !== 3 || restoreIndices.rank !== 2 || restoreIndices.shape[0] !== B || restoreIndices.shape[1] !== L) {
      throw new ShapeMismatchError('MimDecoder(restoreIndices)', [B, L], restoreIndices.shape, `The image stream is [${image.shape.join(', ')}].`);
    }
    return tidyStruct('mr-pretrain/mim-decoder', () => {
      const D = this.config.dim;
      const Lv = N - 1;
      const x = this.embed.forward(image); // [B, 1 + Lv, D_dec]
      const cls = tf.slice(x, [0, 0, 0], [B, 1, D]);
      const visible = tf.slice(x, [0, 1, 0], [B, Lv, D]);
      const shuffled = tf.concat([visible, tf.tile(this.maskToken, [B, L - Lv, 1])], 1); // [B, L, D_dec], shuffle order
      // Unshuffle with a 1-D gather over B·L rows (its gradient is a scatter-add).
      const rows = tf.add(restoreIndices, tf.reshape(tf.mul(tf.range(0, B, 1, 'int32'), tf.scalar(L, 'int32')), [B, 1])); // [B, L]
      const patches = tf.reshape(tf.gather(tf.reshape(shuffled, [B * L, D]), tf.reshape(rows, [-1])), [B, L, D]);
      let h = tf.concat([cls, tf.add(patches, this.positions)], 1); // [B, 1 + L, D_dec]
      for (const block of this.blocks) h = block.forward(h);
      const hidden = tf.slice(this.norm.forward(h), [0, 1, 0], [B, L, D]) as tf.Tensor3D; // drop CLS
      return this.pred ? { hidden, pred: this.pred.forward(hidden) as tf.Tensor3D } : { hidden };
    });
  }

  override dispose(): void {
    this.positions.dispose();
    super.dispose();
  }
}

/**
 * L_MIM (MAE's `forward_loss`): mean squared error between predicted and true pixels, averaged over each patch's
 * pixels and then over the removed patches only.
 *
 * @param pred [B, L, P·P·C] decoder output
 * @param images [B, H, W, C] the images the encoder saw (NHWC)
 * @param mask [B, L] float32, 1 = removed
 * @param normPixLoss normalise each target patch by its mean and (unbiased) variance, as MAE's `norm_pix_loss`
 * @returns a scalar the caller owns
 */
export function mimLoss(pred: tf.Tensor, images: tf.Tensor, mask: tf.Tensor, patchSize: number, normPixLoss: boolean): tf.Scalar {
  return tf.tidy('mr-pretrain/mim-loss', () => {
    let target: tf.Tensor = patchify(images, patchSize); // [B, L, P·P·C]
    if (!tf.util.arraysEqual(target.shape, pred.shape)) throw new ShapeMismatchError('mimLoss(pred)', target.shape, pred.shape);
    if (normPixLoss) {
      const n = target.shape[2]!;
      const mean = tf.mean(target, -1, true);
      const centered = tf.sub(target, mean);
      const variance = tf.div(tf.sum(tf.square(centered), -1, true), Math.max(1, n - 1)); // torch .var(): unbiased
      target = tf.div(centered, tf.sqrt(tf.add(variance, 1e-6)));
    }
    const perPatch = tf.mean(tf.square(tf.sub(pred, target)), -1); // [B, L]
    return tf.div(tf.sum(tf.mul(perPatch, mask)), tf.sum(mask)) as tf.Scalar;
  });
}
