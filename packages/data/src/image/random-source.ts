/**
 * Where random numbers come from: a function returning uniform floats in [0, 1), or any object with such a
 * `next()` method (a `SeededRandom` from `@umd/core`). Pass a seeded one for reproducible augmentation.
 */
export type RandomSource = (() => number) | { next(): number };

/** `random` as a plain function. */
export function randomFunction(random: RandomSource): () => number {
  return typeof random === 'function' ? random : () => random.next();
}
