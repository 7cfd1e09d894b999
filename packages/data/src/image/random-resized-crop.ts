import { InvalidConfigError } from '@umd/core';

import { randomFunction, type RandomSource } from './random-source.js';
import type { RawImage } from './raw-image.js';

/** Options of {@link randomResizedCrop}. */
export interface RandomResizedCropOptions {
  /** Output side in pixels (the output is size × size). */
  readonly size: number;
  /**
   * Range of the crop's area as a fraction of the image area. Default [0.5, 1]: milder than torchvision's
   * [0.08, 1], because a small crop can cut out the finding a question or caption refers to.
   */
  readonly scale?: readonly [number, number];
  /** Range of the crop's aspect ratio (width / height), sampled log-uniformly. Default [3/4, 4/3]. */
  readonly ratio?: readonly [number, number];
  /** Uniform [0, 1) numbers; a seeded source makes the crop reproducible. */
  readonly random: RandomSource;
}

/** The crop rectangle chosen by {@link sampleCropBox}, in source pixels. */
export interface CropBox {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Random-resized crop (Inception-style, as torchvision's `RandomResizedCrop`): picks a random box with area and
 * aspect ratio in the given ranges, then resizes it to size × size with bilinear interpolation. No flip: see the
 * package README ("Images") for why there is no horizontal flip.
 *
 * @param image [H, W, C] uint8
 * @returns [size, size, C] uint8
 */
export function randomResizedCrop(image: RawImage, options: RandomResizedCropOptions): RawImage {
  const box = sampleCropBox(image.width, image.height, options);
  return resizeRegionBilinear(image, box, options.size);
}

/**
 * Samples the crop box of {@link randomResizedCrop}: up to 10 tries at a box that fits, then the largest centred box
 * whose ratio is within range.
 */
export function sampleCropBox(width: number, height: number, options: Omit<RandomResizedCropOptions, 'size'>): CropBox {
  const [minScale, maxScale] = options.scale ?? [0.5, 1];
  const [minRatio, maxRatio] = options.ratio ?? [3 / 4, 4 / 3];
  if (!(minScale > 0 && minScale <= maxScale && maxScale <= 1)) {
    throw new InvalidConfigError('crop.scale', options.scale, '[min, max] with 0 < min <= max <= 1');
  }
  if (!(minRatio > 0 && minRatio <= maxRatio)) {
    throw new InvalidConfigError('crop.ratio', options.ratio, '[min, max] with 0 < min <= max');
  }
  const random = randomFunction(options.random);
  const area = width * height;
  const logMin = Math.log(minRatio);
  const logMax = Math.log(maxRatio);
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * (minScale + (maxScale - minScale) * random());
    const aspect = Math.exp(logMin + (logMax - logMin) * random());
    const w = Math.round(Math.sqrt(targetArea * aspect));
    const h = Math.round(Math.sqrt(targetArea / aspect));
    if (w > 0 && h > 0 && w <= width && h <= height) {
      const left = Math.floor(random() * (width - w + 1));
      const top = Math.floor(random() * (height - h + 1));
      return { left, top, width: w, height: h };
    }
  }
  // Fallback (as torchvision): a centred box, clamped to the allowed ratio.
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < minRatio) h = Math.round(w / minRatio);
  else if (inRatio > maxRatio) w = Math.round(h * maxRatio);
  return { left: Math.floor((width - w) / 2), top: Math.floor((height - h) / 2), width: w, height: h };
}

/**
 * Resizes `box` of `image` to size × size with bilinear interpolation (pixel centres aligned, edges clamped).
 *
 * @returns [size, size, C] uint8
 */
export function resizeRegionBilinear(image: RawImage, box: CropBox, size: number): RawImage {
  const { channels, data } = image;
  const out = new Uint8Array(size * size * channels);
  const scaleX = box.width / size;
  const scaleY = box.height / size;
  const maxX = image.width - 1;
  const maxY = image.height - 1;
  for (let y = 0; y < size; y++) {
    const sy = Math.min(Math.max(box.top + (y + 0.5) * scaleY - 0.5, 0), maxY);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, maxY);
    const fy = sy - y0;
    for (let x = 0; x < size; x++) {
      const sx = Math.min(Math.max(box.left + (x + 0.5) * scaleX - 0.5, 0), maxX);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, maxX);
      const fx = sx - x0;
      const i00 = (y0 * image.width + x0) * channels;
      const i01 = (y0 * image.width + x1) * channels;
      const i10 = (y1 * image.width + x0) * channels;
      const i11 = (y1 * image.width + x1) * channels;
      const o = (y * size + x) * channels;
      for (let c = 0; c < channels; c++) {
        const top = data[i00 + c]! + (data[i01 + c]! - data[i00 + c]!) * fx;
        const bottom = data[i10 + c]! + (data[i11 + c]! - data[i10 + c]!) * fx;
        out[o + c] = Math.round(top + (bottom - top) * fy);
      }
    }
  }
  return { width: size, height: size, channels, data: out };
}
