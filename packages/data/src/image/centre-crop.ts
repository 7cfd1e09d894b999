import { InvalidConfigError } from '@umd/core';

import type { RawImage } from './raw-image.js';

/**
 * Cuts the central `width` × `height` region out of `image` (both layouts [H, W, C]). When the difference is odd, the
 * extra pixel is left on the right / bottom.
 *
 * @throws InvalidConfigError when the crop is larger than the image (resize first, e.g. shorter side = crop size)
 */
export function centreCrop(image: RawImage, width: number, height: number = width): RawImage {
  if (width > image.width || height > image.height || width < 1 || height < 1) {
    throw new InvalidConfigError('crop size', [width, height], `1..${image.width} × 1..${image.height} (the image size); resize first`);
  }
  if (width === image.width && height === image.height) return image;
  const left = Math.floor((image.width - width) / 2);
  const top = Math.floor((image.height - height) / 2);
  return cropRegion(image, left, top, width, height);
}

/** Copies the region at (left, top) of size width × height; the caller guarantees it lies inside the image. */
export function cropRegion(image: RawImage, left: number, top: number, width: number, height: number): RawImage {
  const { channels } = image;
  const rowBytes = width * channels;
  const out = new Uint8Array(height * rowBytes);
  for (let y = 0; y < height; y++) {
    const start = ((top + y) * image.width + left) * channels;
    out.set(image.data.subarray(start, start + rowBytes), y * rowBytes);
  }
  return { width, height, channels, data: out };
}
