import { InvalidConfigError, SeededRandom } from '@umd/core';

import type { Sample } from '../sample.js';

/** Options of {@link carveValidation}. */
export interface CarveValidationOptions {
  /** Share of the distinct images moved to validation, in (0, 1) (rounded to whole images, at least one each side). */
  readonly fraction: number;
  /** Same seed, same carve. */
  readonly seed: number;
  /**
   * - `image`: every sample of an image lands on the same side, so no image leaks (validation on unseen images).
   * - `sample`: samples one by one, so validation holds new questions about images also seen in training — the way
   *   VQA-RAD's MEVF test split is built (all 203 test images are in train, and 104 of its 179 open questions have the
   *   same image and answer in train, mostly as rephrasings). Selecting on an `image` carve instead rewards
   *   generalising to unseen images, which that test split does not measure.
   * - `question`: like `sample`, but the samples that ask the same question (lower case, spaces and end punctuation
   *   ignored) about the same image move together. VQA-RAD's train split repeats many image-question pairs (a random
   *   15% of it finds 28% of its questions, with their image, in the rest; MEVF test: 3.5%), so a `sample` carve
   *   scores many questions the model was trained on and reads well above test. Non-VQA samples carve one by one.
   */
  readonly by: 'image' | 'sample' | 'question';
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
 * train/test): a seeded random share of the distinct groups (images, samples, or image-question pairs: see `by`), with all of
 * their samples. Model selection then never touches the test split.
 *
 * @throws InvalidConfigError for a fraction outside (0, 1), an unknown `by`, or fewer than 2 distinct groups
 */
export function carveValidation<S extends Sample>(samples: readonly S[], options: CarveValidationOptions): CarvedSplits<S> {
  const { fraction, seed, by } = options;
  if (by !== 'image' && by !== 'sample' && by !== 'question') throw new InvalidConfigError('by', by, "'image', 'sample' or 'question'");
  if (!(fraction > 0 && fraction < 1)) throw new InvalidConfigError('fraction', fraction, 'a number in (0, 1)');
  if (!Number.isFinite(seed)) throw new InvalidConfigError('seed', seed, 'a finite number');
  const position = new Map(samples.map((sample, index) => [sample, index]));
  const groupOf = (sample: S): string =>
    by === 'image'
      ? sample.imageId
      : by === 'question' && sample.task === 'vqa'
        ? `${sample.imageId}\u0000${sameQuestion(sample.question)}`
        : `#${position.get(sample)}`;
  const groups = [...new Set(samples.map(groupOf))]; // first-appearance order: stable for a dataset
  if (groups.length < 2) throw new InvalidConfigError('samples', `${groups.length} distinct group(s) by ${by}`, 'at least 2 distinct groups to carve from');
  const count = Math.min(groups.length - 1, Math.max(1, Math.round(fraction * groups.length)));
  const order = new SeededRandom(`umd-carve-validation:${seed}`).permutation(groups.length);
  const carved = new Set(Array.from(order.subarray(0, count), (index) => groups[index]!));
  const train: S[] = [];
  const validation: S[] = [];
  for (const sample of samples) {
    if (carved.has(groupOf(sample))) validation.push({ ...sample, split: 'validate' });
    else train.push(sample);
  }
  return { train, validation };
}

/** A question as the `question` carve compares them: lower case, single spaces, no end punctuation. */
function sameQuestion(question: string): string {
  return question
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\s?.!]+$/, '');
}
