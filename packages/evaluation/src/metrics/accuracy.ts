/** A count-based accuracy. */
export interface Accuracy {
  readonly correct: number;
  readonly total: number;
  /** correct/total, NaN when total is 0 */
  readonly accuracy: number;
}

/** `{ correct, total, accuracy: correct / total }`, with accuracy NaN when `total` is 0. */
export function toAccuracy(correct: number, total: number): Accuracy {
  return { correct, total, accuracy: total === 0 ? Number.NaN : correct / total };
}
