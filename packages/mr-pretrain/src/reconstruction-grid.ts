import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError } from '@umd/core';
import { patchify, unpatchify, type PatchMasking } from '@umd/encoders';
import sharp from 'sharp';

import type { MrPretraining } from './mr-pretraining.js';

/** The fixed inputs of a reconstruction picture. Borrowed: nothing here is disposed by {@link reconstructionGrid}. */
export interface ReconstructionInputs {
  /** [n, H, W, C] normalised images (NHWC). */
  readonly images: tf.Tensor4D;
  /** [n, T] int32 token ids of the images' texts (unmasked). */
  readonly tokenIds: tf.Tensor2D;
  /** [n, T] 1 = real token. */
  readonly attentionMask: tf.Tensor2D;
  /** The patch masking the pictures always use (drawn once, so pictures of different steps compare). */
  readonly masking: PatchMasking;
  /** The image pipeline's per-channel normalisation, undone for display. */
  readonly normalization: { readonly mean: readonly number[]; readonly std: readonly number[] };
}

/** An 8-bit picture, row-major HWC. */
export interface GridImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly data: Uint8Array;
}

/**
 * MAE's visualisation as one picture: a row per image, columns original | masked input (removed patches black) |
 * reconstruction. The reconstruction is the decoder's prediction at the removed patches, un-normalised with each
 * target patch's own mean and (unbiased) variance when `normPixLoss` is on, with the visible patches pasted from the
 * input. Runs the student in `eval()` mode (restoring its mode after) and draws nothing from `pretraining.random`,
 * so a training run is unaffected by its pictures.
 *
 * @throws InvalidConfigError when L_MIM is off (the decoder has no pixel projection)
 */
export function reconstructionGrid(pretraining: MrPretraining, inputs: ReconstructionInputs): GridImage {
  const { model, config, heads } = pretraining;
  const decoder = heads.mimDecoder;
  if (!decoder || !config.terms.mim) throw new InvalidConfigError('terms.mim', config.terms.mim, 'true for reconstruction pictures');
  const { patchSize: P, imageSize: S, channels } = model.config.vision;
  const grid = S / P;
  const { masking, normalization } = inputs;
  const n = inputs.images.shape[0];
  const wasTraining = model.training;
  model.eval();
  try {
    const pixels = tf.tidy('mr-pretrain/reconstruction-grid', () => {
      const visibleIndices = tf.tensor2d(masking.visibleIndices, [n, masking.visibleCount], 'int32');
      const restoreIndices = tf.tensor2d(masking.restoreIndices, [n, masking.patchCount], 'int32');
      const removed = tf.expandDims(tf.tensor2d(masking.mask, [n, masking.patchCount]), -1); // [n, L, 1], 1 = removed
      const kept = tf.sub(1, removed);
      const input = config.decoder.input;
      const out = model.forward({
        images: inputs.images,
        visibleIndices,
        tokenIds: inputs.tokenIds,
        attentionMask: inputs.attentionMask,
        keepFusionLayers: input.kind === 'layer',
      });
      const stream = input.kind === 'layer' ? out.fusion.layers[input.index]!.image : out.fusion.image;
      let pred: tf.Tensor = decoder.forward(stream, restoreIndices).pred!; // [n, L, P·P·C]
      const target = patchify(inputs.images, P); // [n, L, P·P·C]
      if (config.normPixLoss) {
        const mean = tf.mean(target, -1, true);
        const variance = tf.div(tf.sum(tf.square(tf.sub(target, mean)), -1, true), Math.max(1, target.shape[2]! - 1));
        pred = tf.add(tf.mul(pred, tf.sqrt(tf.add(variance, 1e-6))), mean);
      }
      const reconstruction = tf.add(tf.mul(target, kept), tf.mul(pred, removed));
      const toImage = (patches: tf.Tensor): tf.Tensor4D => unpatchify(patches, P, grid, grid, channels); // [n, S, S, C]
      const mean = tf.tensor1d([...normalization.mean]);
      const std = tf.tensor1d([...normalization.std]);
      const display = (images: tf.Tensor): tf.Tensor => tf.clipByValue(tf.mul(tf.add(tf.mul(images, std), mean), 255), 0, 255);
      const keptPixels = toImage(tf.tile(kept, [1, 1, P * P * channels]));
      const row = tf.concat([display(inputs.images), tf.mul(display(inputs.images), keptPixels), display(toImage(reconstruction))], 2); // [n, S, 3S, C]
      return tf.reshape(tf.round(row), [n * S, 3 * S, channels]);
    });
    const data = Uint8Array.from(pixels.dataSync());
    pixels.dispose();
    return { width: 3 * S, height: n * S, channels: channels as 1 | 3, data };
  } finally {
    model.train(wasTraining);
  }
}

/** Writes a {@link GridImage} as a PNG (grey or RGB). */
export async function writeGridPng(image: GridImage, file: string): Promise<void> {
  const { width, height, channels, data } = image;
  await sharp(data, { raw: { width, height, channels } }).png().toFile(file);
}
