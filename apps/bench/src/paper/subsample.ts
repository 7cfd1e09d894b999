import { SeededRandom } from '@umd/core';

/**
 * A seeded subsample of at most `max` items, in their original order. The same `label` gives the same subsample, so
 * every row and seed of a task trains on the same samples. Returns `items` itself when `max` is absent or not smaller.
 */
export function subsample<T>(items: readonly T[], max: number | undefined, label: string): readonly T[] {
  if (max === undefined || items.length <= max) return items;
  const picked = Array.from(new SeededRandom(`bench:subsample:${label}`).permutation(items.length).subarray(0, max)).sort((a, b) => a - b);
  return picked.map((index) => items[index]!);
}
