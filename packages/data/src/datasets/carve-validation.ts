import { InvalidConfigError, SeededRandom } from '@umd/core';

import type { Sample } from '../sample.js';

/** Options of {@link carveValidation}. */
export interface CarveValidationOptions {
  /** Share of the distinct images moved to validation, in (0, 1) (rounded to whole images, at least one each side). */
  readonly fraction: number;
  /** Same seed, same carve. */
  readonly seed: number;
  /** Group by image (`imageId`): every sample of an image lands on the same side, so no image leaks. */
  readonly by: 'image';
}

/** The two sides of a carve. */
export interface CarvedSplits<S extends Sample> {
  /** The samples that stay (the same objects, in their original order). */
  readonly train: S[];
  /** The carved samples, as new objects with `split: 'validate'`, in their original order. */
  readonly validation: S[];
}

/**
 * Carves a validation split out of a training split for datasets that have none (VQA-RAD, or anything with only
 * train/test): a seeded random share of the distinct images, with all of their samples, so no image is on both sides.
 * Model selection then never touches the test split.
 *
 * @throws InvalidConfigError for a fraction outside (0, 1), an unknown `by`, or fewer than 2 distinct images
 */
export function carveValidation<S extends Sample>(samples: readonly S[], options: CarveValidationOptions): CarvedSplits<S> {
  const { fraction, seed, by } = options;
  if (by !== 'image') throw new InvalidConfigError('by', by, "'image'");
  if (!(fraction > 0 && fraction < 1)) throw new InvalidConfigError('fraction', fraction, 'a number in (0, 1)');
  if (!Number.isFinite(seed)) throw new InvalidConfigError('seed', seed, 'a finite number');
  const images = [...new Set(samples.map((sample) => sample.imageId))]; // first-appearance order: stable for a dataset
  if (images.length < 2) throw new InvalidConfigError('samples', `${images.length} distinct image(s)`, 'at least 2 distinct images to carve from');
  const count = Math.min(images.length - 1, Math.max(1, Math.round(fraction * images.length)));
  const order = new SeededRandom(`umd-carve-validation:${seed}`).permutation(images.length);
  const carved = new Set(Array.from(order.subarray(0, count), (index) => images[index]!));
  const train: S[] = [];
  const validation: S[] = [];
  for (const sample of samples) {
    if (carved.has(sample.imageId)) validation.push({ ...sample, split: 'validate' });
    else train.push(sample);
  }
  return { train, validation };
}
