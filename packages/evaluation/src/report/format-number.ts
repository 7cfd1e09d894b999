/** Text for a number in a report: fixed `digits` decimals, '–' for NaN, '∞'/'−∞' for infinities. */
export function formatNumber(value: number, digits: number): string {
  if (Number.isNaN(value)) return '–';
  if (value === Number.POSITIVE_INFINITY) return '∞';
  if (value === Number.NEGATIVE_INFINITY) return '−∞';
  const text = value.toFixed(digits);
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text; // no "-0.0"
}
