import { describe, expect, it } from 'vitest';

import { barChartSvg } from './bar-chart-svg.js';
import { assertWellFormed, coordinates } from '../../test/svg-structure.js';

describe('barChartSvg', () => {
  const options = {
    title: 'VQA-RAD <ablation>',
    yLabel: 'accuracy',
    categories: ['scratch', 'MR'],
    series: [
      { name: 'open', values: [0.5, 0.6], low: [0.45, 0.55], high: [0.55, 0.65] },
      { name: 'closed', values: [0.7, Number.NaN] },
    ],
  };

  it('draws a bar per finite value, error bars where given, and a legend', () => {
    const svg = barChartSvg(options);
    assertWellFormed(svg);
    expect(svg.match(/<svg\b/g)).toHaveLength(1);
    expect(svg.match(/<g class="bars"[^>]*>[\s\S]*?<\/g>/g)?.map((group) => (group.match(/<rect/g) ?? []).length)).toEqual([2, 1]);
    expect(svg.match(/<path class="error-bars"/g)).toHaveLength(1);
    expect(svg).toContain('VQA-RAD &lt;ablation&gt;');
    expect(svg.match(/<g class="legend">[\s\S]*?<\/g>/)?.[0]).toContain('>closed</text>');
    expect(coordinates(svg).every(Number.isFinite)).toBe(true);
  });

  it('makes taller bars for larger values, from a common baseline', () => {
    const svg = barChartSvg({ title: 't', yLabel: 'y', categories: ['a', 'b'], series: [{ name: 's', values: [1, 2] }] });
    const bars = [...svg.matchAll(/<rect x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"><title>/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(bars).toHaveLength(2);
    const [[y1, h1], [y2, h2]] = bars as [[number, number], [number, number]];
    expect(h2).toBeCloseTo(2 * h1, 0);
    expect(y1 + h1).toBeCloseTo(y2 + h2, 1);
  });

  it('rejects arrays that do not match the categories', () => {
    expect(() => barChartSvg({ ...options, series: [{ name: 's', values: [1] }] })).toThrow(/options\.series\[0\]\.values\.length/);
    expect(() => barChartSvg({ ...options, series: [{ name: 's', values: [1, 2], low: [1] }] })).toThrow(/low\.length/);
  });
});
