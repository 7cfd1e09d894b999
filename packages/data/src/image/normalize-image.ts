import { InvalidConfigError } from '@umd/core';

import type { NormalizedImage, RawImage } from './raw-image.js';

/** Per-channel normalisation applied to values scaled to [0, 1]: `(value / 255 - mean[c]) / std[c]`. */
export interface ImageNormalization {
  /** One value per channel (1 for grey, 3 for RGB, in R, G, B order). */
  readonly mean: readonly number[];
  /** One positive value per channel. */
  readonly std: readonly number[];
}

/** Named normalisations. `imagenet`: the usual RGB statistics; `grey`: maps [0, 1] to [-1, 1] for one channel. */
export const imageNormalizations = {
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  grey: { mean: [0.5], std: [0.5] },
  /** [0, 1] → [-1, 1] per RGB channel. */
  rgbHalf: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
} as const satisfies Record<string, ImageNormalization>;

/**
 * Checks that `normalization` has one mean and one positive std per channel.
 *
 * @throws InvalidConfigError naming `normalization.mean` or `normalization.std`
 */
export function validateNormalization(normalization: ImageNormalization, channels: 1 | 3): void {
  if (normalization.mean.length !== channels) {
    throw new InvalidConfigError(
      'normalization.mean',
      normalization.mean,
      `${channels} value(s), one per channel (got ${normalization.mean.length}; std has ${normalization.std.length})`,
    );
  }
  if (normalization.std.length !== channels || normalization.std.some((value) => !(value > 0))) {
    throw new InvalidConfigError('normalization.std', normalization.std, `${channels} positive value(s), one per channel`);
  }
  if (normalization.mean.some((value) => !Number.isFinite(value))) {
    throw new InvalidConfigError('normalization.mean', normalization.mean, 'finite numbers');
  }
}

/**
 * A lookup table for {@link normalizeImage}: entry `value * C + c` holds the normalised `value` of channel `c`.
 * Build it once per pipeline; normalising is then one table read per byte.
 */
export function normalizationTable(normalization: ImageNormalization, channels: 1 | 3): Float32Array {
  validateNormalization(normalization, channels);
  const table = new Float32Array(256 * channels);
  for (let value = 0; value < 256; value++) {
    for (let c = 0; c < channels; c++) {
      table[value * channels + c] = (value / 255 - normalization.mean[c]!) / normalization.std[c]!;
    }
  }
  return table;
}

/**
 * Normalises 8-bit pixels to floats, per channel.
 *
 * @param image [H, W, C] uint8
 * @param normalization or a table from {@link normalizationTable} (faster when called per image)
 * @param out optional destination (length H*W*C, e.g. a view into a batch buffer [B, H, W, C])
 * @returns [H, W, C] float32
 */
export function normalizeImage(
  image: RawImage,
  normalization: ImageNormalization | Float32Array,
  out: Float32Array = new Float32Array(image.data.length),
): NormalizedImage {
  const { channels, data } = image;
  const table = normalization instanceof Float32Array ? normalization : normalizationTable(normalization, channels);
  if (table.length !== 256 * channels) {
    throw new InvalidConfigError('normalization table', table.length, `${256 * channels} entries for ${channels} channel(s)`);
  }
  if (out.length !== data.length) {
    throw new InvalidConfigError('out', out.length, `a Float32Array of H*W*C = ${data.length} values`);
  }
  if (channels === 1) normalizeGrey(data, table, out);
  else normalizeRgb(data, table, out);
  return { width: image.width, height: image.height, channels, data: out };
}

function normalizeGrey(data: Uint8Array, table: Float32Array, out: Float32Array): void {
  for (let i = 0; i < data.length; i++) out[i] = table[data[i]!]!;
}

/** Per-channel tables: no index arithmetic in the hot loop (about 20% faster than the interleaved table here). */
function normalizeRgb(data: Uint8Array, table: Float32Array, out: Float32Array): void {
  const red = new Float32Array(256);
  const green = new Float32Array(256);
  const blue = new Float32Array(256);
  for (let value = 0; value < 256; value++) {
    red[value] = table[value * 3]!;
    green[value] = table[value * 3 + 1]!;
    blue[value] = table[value * 3 + 2]!;
  }
  for (let i = 0; i < data.length; i += 3) {
    out[i] = red[data[i]!]!;
    out[i + 1] = green[data[i + 1]!]!;
    out[i + 2] = blue[data[i + 2]!]!;
  }
}
