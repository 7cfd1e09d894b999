/**
 * The p-quantile of an ascending array by linear interpolation between order statistics (Hyndman & Fan type 7,
 * the default of R and NumPy): h = (n − 1)·p, q = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]). NaN for an empty array.
 */
export function sortedQuantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * Math.min(1, Math.max(0, p));
  const lower = Math.floor(h);
  const upper = Math.min(n - 1, lower + 1);
  const a = sorted[lower] as number;
  const b = sorted[upper] as number;
  return a === b ? a : a + (h - lower) * (b - a);
}

/** Arithmetic mean; NaN for an empty array. */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return values.length === 0 ? Number.NaN : sum / values.length;
}
