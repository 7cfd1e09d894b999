/**
 * The two in-memory image layouts of the image pipeline. Both are row-major HWC (interleaved channels):
 * the value of channel `c` at row `y`, column `x` is `data[(y * width + x) * channels + c]`, i.e. shape
 * [H, W, C], the layout tfjs image tensors use (NHWC once batched).
 */

/** An 8-bit image, [H, W, C] row-major, values 0-255. 1 channel = grey, 3 = RGB. */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly data: Uint8Array;
}

/** A normalised float image, [H, W, C] row-major: `(value / 255 - mean[c]) / std[c]`. */
export interface NormalizedImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
  readonly data: Float32Array;
}
