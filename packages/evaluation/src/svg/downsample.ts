/**
 * Thins a long series to at most `maxPoints` points, keeping its envelope: the x range is cut into maxPoints / 2
 * buckets of equal point count and each keeps its lowest and highest point, in x order. Spikes (a loss jump, a NaN
 * guard trigger) survive, unlike plain striding. Shorter series are returned as they are.
 */
export function downsampleMinMax(points: readonly (readonly [number, number])[], maxPoints: number): (readonly [number, number])[] {
  if (points.length <= maxPoints) return [...points];
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const size = points.length / buckets;
  const out: (readonly [number, number])[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * size);
    const end = Math.min(points.length, Math.floor((b + 1) * size));
    let lowIndex = start;
    let highIndex = start;
    for (let i = start; i < end; i++) {
      const y = (points[i] as readonly [number, number])[1];
      if (y < (points[lowIndex] as readonly [number, number])[1]) lowIndex = i;
      if (y > (points[highIndex] as readonly [number, number])[1]) highIndex = i;
    }
    const first = Math.min(lowIndex, highIndex);
    const second = Math.max(lowIndex, highIndex);
    out.push(points[first] as readonly [number, number]);
    if (second !== first) out.push(points[second] as readonly [number, number]);
  }
  return out;
}
