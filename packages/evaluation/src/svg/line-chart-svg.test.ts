import { describe, expect, it } from 'vitest';

import { EvaluationInputError } from '../errors/evaluation-input-error.js';
import { lineChartSvg, type LineChartOptions } from './line-chart-svg.js';
import { assertWellFormed, coordinates } from '../../test/svg-structure.js';

const loss = (n: number): [number, number][] => Array.from({ length: n }, (_, i) => [i + 1, 2 + 10 * Math.exp(-i / 50)] as [number, number]);

describe('lineChartSvg', () => {
  it('draws one well-formed <svg> with one path per series, a legend entry each, and finite coordinates', () => {
    const svg = lineChartSvg({
      title: 'Loss',
      xLabel: 'step',
      yLabel: 'loss',
      series: [
        { name: 'total', points: loss(200) },
        { name: 'mim', points: loss(200).map(([x, y]) => [x, y / 4]) },
      ],
    });
    assertWellFormed(svg);
    expect(svg.match(/<svg\b/g)).toHaveLength(1);
    expect(svg.match(/<path class="series"/g)).toHaveLength(2);
    expect(svg).toContain('data-series="total"');
    expect(svg).toContain('>mim</text>');
    expect(svg).toContain('>step</text>');
    const values = coordinates(svg);
    expect(values.length).toBeGreaterThan(400);
    expect(values.every(Number.isFinite)).toBe(true);
    expect(values.every((v) => v >= -5 && v <= 645)).toBe(true);
  });

  it('escapes text (title, labels, series names)', () => {
    const svg = lineChartSvg({
      title: 'a < b & "c"',
      xLabel: "it's",
      yLabel: '<y>',
      series: [
        {
          name: 'x&y',
          points: [
            [0, 1],
            [1, 2],
          ],
        },
      ],
    });
    assertWellFormed(svg);
    expect(svg).toContain('a &lt; b &amp; &quot;c&quot;');
    expect(svg).toContain('it&#39;s');
    expect(svg).toContain('&lt;y&gt;');
    expect(svg).toContain('data-series="x&amp;y"');
    expect(svg).not.toContain('<y>');
  });

  it('puts larger y higher on the page (smaller SVG y)', () => {
    const svg = lineChartSvg({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          name: 'up',
          points: [
            [0, 0],
            [1, 10],
          ],
        },
      ],
    });
    const d = svg.match(/class="series"[^>]* d="M([\d.]+) ([\d.]+)L([\d.]+) ([\d.]+)"/);
    expect(d).not.toBeNull();
    const [, x0, y0, x1, y1] = (d as RegExpMatchArray).map(Number);
    expect(x1).toBeGreaterThan(x0 as number);
    expect(y1).toBeLessThan(y0 as number);
  });

  it('breaks the line at NaN and never writes NaN', () => {
    const points: [number, number][] = [
      [0, 1],
      [1, 2],
      [2, Number.NaN],
      [3, 2],
      [4, 1],
    ];
    const svg = lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points }] });
    const d = svg.match(/class="series"[^>]* d="([^"]*)"/)?.[1] ?? '';
    expect(d.match(/M/g)).toHaveLength(2);
    expect(svg).not.toMatch(/NaN|Infinity/);
  });

  it('downsamples long series to about maxPoints, keeping a spike', () => {
    const points = loss(20_000);
    points[12_345] = [12_346, 50]; // a spike far above the curve
    const svg = lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points }] });
    const d = svg.match(/class="series"[^>]* d="([^"]*)"/)?.[1] ?? '';
    const count = (d.match(/[ML]/g) ?? []).length;
    expect(count).toBeLessThanOrEqual(2000);
    expect(count).toBeGreaterThan(1000);
    expect(svg.length).toBeLessThan(60_000);
    // The spike is the highest point: its y is the smallest y on the path, and it is the domain top.
    const ys = [...d.matchAll(/[ML][\d.]+ ([\d.]+)/g)].map((m) => Number(m[1]));
    expect(Math.min(...ys)).toBeLessThan(40 + 1);
    expect(svg).toContain('>50</text>');
  });

  it('draws a log y axis, leaving out y ≤ 0', () => {
    const svg = lineChartSvg({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      logY: true,
      series: [
        {
          name: 's',
          points: [
            [0, 0],
            [1, 0.01],
            [2, 1],
            [3, 100],
          ],
        },
      ],
    });
    assertWellFormed(svg);
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(svg).toContain('>0.01</text>');
    expect(svg).toContain('>100</text>');
    // Equal ratios, equal distances: 0.01 → 1 and 1 → 100 span the same height.
    const ys = [...(svg.match(/class="series"[^>]* d="([^"]*)"/)?.[1] ?? '').matchAll(/[ML][\d.]+ ([\d.]+)/g)].map((m) => Number(m[1]));
    expect(ys).toHaveLength(3);
    expect((ys[0] as number) - (ys[1] as number)).toBeCloseTo((ys[1] as number) - (ys[2] as number), 1);
  });

  it('handles empty and constant series without NaN', () => {
    const empty = lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'nothing', points: [] }] });
    expect(empty).toContain('no data');
    expect(empty).not.toMatch(/NaN|Infinity/);
    const flat = lineChartSvg({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          name: 'k',
          points: [
            [0, 1],
            [0, 1],
          ],
        },
      ],
    });
    assertWellFormed(flat);
    expect(flat).not.toMatch(/NaN|Infinity/);
    const single = lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'dot', points: [[3, 0.5]] }] });
    expect(single).toMatch(/d="M[\d.]+ [\d.]+l0 0"/);
  });

  it('clips to a fixed yDomain', () => {
    const svg = lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', yDomain: [0, 5], series: [{ name: 's', points: loss(100) }] });
    expect(svg).toMatch(/<clipPath id="plot-\w+">/);
    expect(svg).toContain('>5</text>');
    expect(svg).not.toContain('>12</text>');
  });

  it('rejects malformed points and options, naming them', () => {
    const bad: LineChartOptions = { title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: [[0, 1], [1] as unknown as [number, number]] }] };
    expect(() => lineChartSvg(bad)).toThrow(EvaluationInputError);
    expect(() => lineChartSvg(bad)).toThrow(/options\.series\[0\]\.points\[1\]/);
    expect(() => lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', points: [[Number.NaN, 1]] }] })).toThrow(/points\[0\]\[0\]/);
    expect(() => lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: [], yDomain: [1, 1] })).toThrow(/yDomain/);
    expect(() => lineChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: [], logY: true, yDomain: [0, 1] })).toThrow(/yDomain/);
  });
});
