// Axis domains, tick positions and tick labels for the SVG charts.

/** A "nice" step (1, 2, 2.5 or 5 × 10^k) close to `roughStep`. */
function niceStep(roughStep: number): number {
  const power = 10 ** Math.floor(Math.log10(roughStep));
  const fraction = roughStep / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/** Linear axis: a domain and its ticks. */
export interface LinearAxis {
  readonly min: number;
  readonly max: number;
  readonly ticks: readonly number[];
  readonly step: number;
}

/**
 * Ticks for [min, max] with about `count` intervals. `extend` widens the domain to the outer ticks (y axes);
 * otherwise the domain stays the data's and the ticks fall inside it (x axes). A zero-width range is widened.
 */
export function linearAxis(min: number, max: number, count: number, extend: boolean): LinearAxis {
  let low = Number.isFinite(min) ? min : 0;
  let high = Number.isFinite(max) ? max : 1;
  if (high < low) [low, high] = [high, low];
  if (high === low) {
    const pad = low === 0 ? 1 : Math.abs(low) * 0.1;
    low -= pad;
    high += pad;
  }
  const step = niceStep((high - low) / Math.max(1, count));
  const first = extend ? Math.floor(low / step + 1e-9) * step : Math.ceil(low / step - 1e-9) * step;
  const last = extend ? Math.ceil(high / step - 1e-9) * step : Math.floor(high / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0, tick = first; tick <= last + step * 1e-9 && i < 1000; i++, tick = first + i * step) ticks.push(cleanFloat(tick, step));
  return extend ? { min: cleanFloat(first, step), max: cleanFloat(last, step), ticks, step } : { min: low, max: high, ticks, step };
}

/**
 * Logarithmic (base 10) axis over positive [min, max]: the data range padded by 5% (in log space), with ticks at
 * decades, plus 2× and 5× when it spans ≤ 2 decades and every integer multiple below one decade. When fewer than
 * two ticks would fall inside, the domain widens to whole decades.
 */
export function logAxis(min: number, max: number): LinearAxis {
  let low = Number.isFinite(min) && min > 0 ? min : 1;
  let high = Number.isFinite(max) && max > 0 ? max : 10;
  if (high < low) [low, high] = [high, low];
  if (high === low) {
    low /= 2;
    high *= 2;
  }
  const pad = 0.05 * Math.log10(high / low);
  const domainLow = 10 ** (Math.log10(low) - pad);
  const domainHigh = 10 ** (Math.log10(high) + pad);
  const first = Math.floor(Math.log10(domainLow) + 1e-9);
  const last = Math.max(first + 1, Math.ceil(Math.log10(domainHigh) - 1e-9));
  const span = Math.log10(domainHigh / domainLow);
  const multiples = span <= 0.6 ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : span <= 2 ? [1, 2, 5] : [1];
  const candidates: number[] = [];
  for (let power = first; power <= last; power++) for (const multiple of multiples) candidates.push(Number((multiple * 10 ** power).toPrecision(12)));
  const inside = candidates.filter((tick) => tick >= domainLow * (1 - 1e-9) && tick <= domainHigh * (1 + 1e-9));
  if (inside.length >= 2) return { min: domainLow, max: domainHigh, ticks: inside, step: Number.NaN };
  return { min: 10 ** first, max: 10 ** last, ticks: candidates.filter((tick) => tick <= 10 ** last * (1 + 1e-9)), step: Number.NaN };
}

/** Removes float noise from a multiple of `step` (0.30000000000000004 → 0.3). */
function cleanFloat(value: number, step: number): number {
  const decimals = Math.max(0, Math.min(15, decimalsOf(step) + 1));
  return Number(value.toFixed(decimals));
}

function decimalsOf(step: number): number {
  for (let d = 0; d <= 12; d++) if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-6) return d;
  return 12;
}

/** Tick label: as many decimals as the step needs; exponent notation (2e-5, 3e6) for very small or large values. */
export function formatTick(value: number, step: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-3) {
    const [mantissa, exponent] = value.toExponential(2).split('e') as [string, string];
    return `${mantissa.replace(/\.?0+$/, '')}e${exponent.replace('+', '')}`;
  }
  const decimals = Number.isFinite(step) ? decimalsOf(step) : Math.max(0, -Math.floor(Math.log10(magnitude)));
  return value.toFixed(Math.min(decimals, 6));
}
