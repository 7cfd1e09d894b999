import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, ShapeMismatchError, tidyStruct, type SeededRandom } from '@umd/core';

export interface PatchMaskingOptions {
  /** Fraction of patches removed, in (0, 1). Default 0.75 (MAE). Each sample keeps exactly Lv = round(L·(1 − ratio)). */
  readonly ratio?: number;
  /** Draws the per-patch noise. Exactly one of `random` and `noise` must be given. */
  readonly random?: SeededRandom;
  /**
   * [B, L] noise, row-major (the seam MAE's `torch.rand` lacks): the Lv patches with the smallest noise are kept,
   * ties broken by patch index. For deterministic tests and parity with PyTorch.
   */
  readonly noise?: ArrayLike<number>;
  /** The setting the ratio came from, named in the error when it is out of range. Default `imageMaskRatio` (MR-Pretrain). */
  readonly field?: string;
}

/** MAE-style masking of B samples of L patches, as plain typed arrays (row-major). */
export interface PatchMasking {
  /** B */
  readonly batchSize: number;
  /** L */
  readonly patchCount: number;
  /** Lv = round(L·(1 − ratio)), the same for every sample. */
  readonly visibleCount: number;
  /** [B, Lv] int32: the kept patches (raster indices), in shuffle order (MAE's `ids_shuffle[:, :Lv]`). */
  readonly visibleIndices: Int32Array;
  /** [B, L] float32: 1 = removed, 0 = kept. */
  readonly mask: Float32Array;
  /**
   * [B, L] int32: where each patch sits in the shuffled order (MAE's `ids_restore`). The decoder gathers
   * `[visible tokens ; mask tokens]` with it to put the sequence back into raster order.
   */
  readonly restoreIndices: Int32Array;
}

/** The masking as tensors (the caller owns them). */
export interface PatchMaskingTensors {
  /** [B, Lv] int32 */
  readonly visibleIndices: tf.Tensor2D;
  /** [B, L] float32, 1 = removed */
  readonly mask: tf.Tensor2D;
  /** [B, L] int32 */
  readonly restoreIndices: tf.Tensor2D;
}

/**
 * Per-sample random masking by argsort of noise (MAE's `random_masking`): every sample keeps exactly
 * Lv = round(L·(1 − ratio)) patches. Pure JS; no tensors are created.
 *
 * @throws InvalidConfigError when the ratio would keep no patch or every patch, or when neither/both of
 *   `random` and `noise` are given
 * @throws ShapeMismatchError when `noise` does not hold B·L values
 */
export function randomPatchMasking(batchSize: number, patchCount: number, options: PatchMaskingOptions): PatchMasking {
  const ratio = options.ratio ?? 0.75;
  const B = batchSize;
  const L = patchCount;
  const Lv = Math.round(L * (1 - ratio));
  if (!(ratio > 0 && ratio < 1) || Lv < 1 || Lv >= L) {
    throw new InvalidConfigError(options.field ?? 'imageMaskRatio', ratio, `a ratio in (0, 1) that keeps between 1 and ${L - 1} of ${L} patches`);
  }
  if ((options.random === undefined) === (options.noise === undefined)) {
    throw new InvalidConfigError(
      'randomPatchMasking(options)',
      Object.keys(options).filter((key) => key !== 'field'),
      'exactly one of `random` and `noise`',
    );
  }
  const noise = options.noise ?? options.random!.uniformArray(B * L);
  if (noise.length !== B * L) throw new ShapeMismatchError('randomPatchMasking(noise)', [B, L], [noise.length]);

  const visibleIndices = new Int32Array(B * Lv);
  const mask = new Float32Array(B * L);
  const restoreIndices = new Int32Array(B * L);
  const order = Array.from({ length: L }, (_, i) => i);
  for (let b = 0; b < B; b++) {
    const offset = b * L;
    order.sort((i, j) => Number(noise[offset + i]) - Number(noise[offset + j]) || i - j); // ids_shuffle
    for (let rank = 0; rank < L; rank++) {
      const patch = order[rank]!;
      restoreIndices[offset + patch] = rank;
      if (rank < Lv) visibleIndices[b * Lv + rank] = patch;
      else mask[offset + patch] = 1;
    }
  }
  return { batchSize: B, patchCount: L, visibleCount: Lv, visibleIndices, mask, restoreIndices };
}

/** Tensors of a {@link PatchMasking}; the caller owns them. */
export function patchMaskingTensors(masking: PatchMasking): PatchMaskingTensors {
  const { batchSize: B, patchCount: L, visibleCount: Lv } = masking;
  return tidyStruct('mr-pretrain/patch-masking-tensors', () => ({
    visibleIndices: tf.tensor2d(masking.visibleIndices, [B, Lv], 'int32'),
    mask: tf.tensor2d(masking.mask, [B, L], 'float32'),
    restoreIndices: tf.tensor2d(masking.restoreIndices, [B, L], 'int32'),
  }));
}
