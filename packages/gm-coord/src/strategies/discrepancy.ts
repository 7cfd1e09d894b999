/**
 * ρ_m = v_m / mean_{j≠m} v_j: each modality against the mean of the others. For two modalities this is v_a / v_b
 * and v_b / v_a, OGM-GE's ratio. A zero denominator gives 1 when v_m is zero too, else +∞ (so k = 0, or the floor).
 */
export function ratiosToOthers(values: readonly number[]): number[] {
  const total = values.reduce((sum, value) => sum + value, 0);
  const others = values.length - 1;
  return values.map((value) => {
    const meanOfOthers = (total - value) / others;
    if (meanOfOthers === 0) return value === 0 ? 1 : Number.POSITIVE_INFINITY;
    return value / meanOfOthers;
  });
}

/** k = 1 − tanh(α · relu(ρ − 1)): 1 for a modality at or behind the others, falling toward 0 as it pulls ahead. */
export function discrepancyCoefficient(ratio: number, alpha: number): number {
  if (alpha === 0) return 1; // 0 · ∞ would be NaN
  return 1 - Math.tanh(alpha * Math.max(0, ratio - 1));
}
