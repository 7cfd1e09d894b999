import { lineChartSvg, metricSeries, movingAverage, type LineSeries, type MetricsRecord } from '@umd/evaluation';

/**
 * A loss curve of one stage's `metrics.jsonl` records as SVG: the per-step loss (`total`, else `loss`) faint, a moving
 * average over about 1/20 of the run on top. Undefined when the records hold no loss.
 */
export function lossCurveSvg(records: readonly MetricsRecord[], title: string): string | undefined {
  const key = ['total', 'loss'].find((name) => metricSeries(records, name).length > 0);
  if (key === undefined) return undefined;
  const points = metricSeries(records, key);
  const window = Math.max(1, Math.round(points.length / 20));
  const smoothed = movingAverage(
    points.map(([, y]) => y),
    window,
  );
  const series: LineSeries[] = [
    { name: `${key} (per step)`, points, opacity: 0.3 },
    { name: `${key} (mean of ${window})`, points: points.map(([x], i) => [x, smoothed[i]!] as const) },
  ];
  return lineChartSvg({ title, xLabel: 'step', yLabel: 'loss', series });
}

/** GM-Coord's coefficient per modality and step (`coordination.jsonl` lines `{ step, coefficients: { text, vision } }`) as SVG. */
export function coordinationSvg(records: readonly MetricsRecord[]): string | undefined {
  const modalities = new Set<string>();
  for (const record of records) for (const name of Object.keys((record['coefficients'] as Record<string, number> | undefined) ?? {})) modalities.add(name);
  if (modalities.size === 0) return undefined;
  const series: LineSeries[] = [...modalities].map((modality) => ({
    name: `k ${modality}`,
    points: records.flatMap((record) => {
      const value = (record['coefficients'] as Record<string, number> | undefined)?.[modality];
      return typeof record['step'] === 'number' && typeof value === 'number' ? [[record['step'], value] as const] : [];
    }),
  }));
  return lineChartSvg({ title: 'GM-Coord gradient coefficients', xLabel: 'step', yLabel: 'coefficient k', series });
}
