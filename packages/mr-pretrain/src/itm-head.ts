import { InvalidConfigError, type SeededRandom } from '@umd/core';

/** Which samples see another sample's image, for L_ITM. */
export interface ItmPairing {
  /** [B] the batch index of the image each sample sees (itself when matched). */
  readonly imageSource: Int32Array;
  /** [B] 1 = matched pair, 0 = mismatched. */
  readonly labels: Int32Array;
}

/**
 * Mismatches round(B/2) randomly chosen samples: each gets the image of another sample, by a uniformly drawn
 * derangement of the batch (no sample keeps its own image), so negatives never coincide with positives by index.
 *
 * @throws InvalidConfigError when B < 2 (no other image to swap in)
 */
export function itmPairing(batchSize: number, random: SeededRandom): ItmPairing {
  if (!(Number.isInteger(batchSize) && batchSize >= 2)) throw new InvalidConfigError('batchSize', batchSize, 'an integer ≥ 2 when L_ITM is on');
  const derangement = randomDerangement(batchSize, random);
  const order = random.permutation(batchSize);
  const mismatched = Math.round(batchSize / 2);
  const imageSource = Int32Array.from({ length: batchSize }, (_, i) => i);
  const labels = new Int32Array(batchSize).fill(1);
  for (let k = 0; k < mismatched; k++) {
    const i = order[k]!;
    imageSource[i] = derangement[i]!;
    labels[i] = 0;
  }
  return { imageSource, labels };
}

/** A uniformly random permutation without fixed points (rejection sampling: about e ≈ 2.7 tries on average). */
export function randomDerangement(n: number, random: SeededRandom): Int32Array {
  if (!(Number.isInteger(n) && n >= 2)) throw new InvalidConfigError('randomDerangement(n)', n, 'an integer ≥ 2');
  for (;;) {
    const candidate = random.permutation(n);
    if (candidate.every((value, index) => value !== index)) return candidate;
  }
}
