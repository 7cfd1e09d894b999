import { checkArrayLike, checkInteger } from '../errors/check-input.js';
import { EvaluationInputError } from '../errors/evaluation-input-error.js';
import { formatTick, linearAxis } from './axis-ticks.js';
import { coordinate, escapeXml, palette, svgDocument, svgText, textWidth, truncate } from './svg-document.js';

/** One series (one bar per category) of a {@link barChartSvg}, with optional error bars. */
export interface BarSeries {
  readonly name: string;
  /** [categories] bar heights; NaN leaves the slot empty */
  readonly values: readonly number[];
  /** [categories] lower ends of the error bars (e.g. `interval.low`); NaN or absent: no error bar */
  readonly low?: readonly number[];
  /** [categories] upper ends of the error bars */
  readonly high?: readonly number[];
  readonly color?: string;
}

/** Options of {@link barChartSvg}. */
export interface BarChartOptions {
  readonly title: string;
  readonly yLabel: string;
  /** group labels along x (e.g. ablation rows) */
  readonly categories: readonly string[];
  /** one bar per category each (e.g. metrics or models), drawn side by side */
  readonly series: readonly BarSeries[];
  /** pixels (default 640 × 360) */
  readonly width?: number;
  readonly height?: number;
}

/**
 * A grouped bar chart with error bars as SVG text, for a results table ("mean ± CI per cell"): categories along x,
 * one coloured bar per series in each group, whiskers from `low` to `high`, a legend when there are several series.
 * The y axis always includes 0.
 *
 * @throws {EvaluationInputError} a missing title/label, a series whose arrays do not have one entry per category,
 *   a non-number value, bad size
 */
export function barChartSvg(options: BarChartOptions): string {
  const { title, yLabel, categories, series } = options;
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  if (typeof title !== 'string') throw new EvaluationInputError('options.title', 'a string', title);
  if (typeof yLabel !== 'string') throw new EvaluationInputError('options.yLabel', 'a string', yLabel);
  checkArrayLike(categories, 'options.categories');
  checkArrayLike(series, 'options.series');
  checkInteger(width, 'options.width', 200, 10_000);
  checkInteger(height, 'options.height', 150, 10_000);
  categories.forEach((category, c) => {
    if (typeof category !== 'string') throw new EvaluationInputError(`options.categories[${c}]`, 'a string', category);
  });
  series.forEach((bars, s) => {
    const argument = `options.series[${s}]`;
    if (bars === null || typeof bars !== 'object' || typeof bars.name !== 'string') throw new EvaluationInputError(`${argument}.name`, 'a string', bars?.name);
    for (const field of ['values', 'low', 'high'] as const) {
      const column = bars[field];
      if (column === undefined && field !== 'values') continue;
      checkArrayLike(column, `${argument}.${field}`);
      if (column.length !== categories.length)
        throw new EvaluationInputError(`${argument}.${field}.length`, `${categories.length} (one per category)`, column.length);
      column.forEach((value, c) => {
        if (typeof value !== 'number' || (!Number.isFinite(value) && !Number.isNaN(value)))
          throw new EvaluationInputError(`${argument}.${field}[${c}]`, 'a finite number or NaN', value);
      });
    }
  });

  // y domain over bars, whiskers and 0.
  let yMin = 0;
  let yMax = 0;
  for (const bars of series) {
    for (const column of [bars.values, bars.low, bars.high]) {
      for (const value of column ?? []) {
        if (Number.isFinite(value)) {
          yMin = Math.min(yMin, value);
          yMax = Math.max(yMax, value);
        }
      }
    }
  }
  const yAxis = linearAxis(yMin, yMax === yMin ? yMin + 1 : yMax, 5, true);
  const tickLabels = yAxis.ticks.map((tick) => formatTick(tick, yAxis.step));

  // Layout.
  const legendNames = series.map((bars) => truncate(bars.name, 24));
  const legendWidth = series.length > 1 ? Math.min(200, 30 + Math.max(...legendNames.map((name) => textWidth(name, 12)))) : 0;
  const left = 28 + Math.max(24, ...tickLabels.map((label) => textWidth(label, 11)));
  const top = 36;
  const right = 16 + legendWidth;
  const categoryNames = categories.map((category) => truncate(category, 24));
  const plotWidth = width - left - right;
  const groupWidth = plotWidth / Math.max(1, categories.length);
  const rotate = categoryNames.some((name) => textWidth(name, 11) > groupWidth - 4);
  const bottom = 30 + (rotate ? Math.max(...categoryNames.map((name) => textWidth(name, 11))) * 0.72 + 8 : 20);
  const plotHeight = height - top - bottom;
  if (plotWidth < 40 || plotHeight < 40) throw new EvaluationInputError('options.height', 'room for the plot below the category labels', height);
  const toY = (y: number): number => top + plotHeight - ((y - yAxis.min) / (yAxis.max - yAxis.min)) * plotHeight;

  const body: string[] = [svgText(width / 2, 22, title, 'text-anchor="middle" font-size="14" font-weight="600"')];
  const grid = yAxis.ticks.map((tick) => `M${coordinate(left)} ${coordinate(toY(tick))}H${coordinate(left + plotWidth)}`).join('');
  body.push(`<path class="grid" d="${grid}" stroke="#e5e5e5" fill="none"/>`);
  yAxis.ticks.forEach((tick, i) => body.push(svgText(left - 6, toY(tick) + 4, tickLabels[i] as string, 'text-anchor="end" font-size="11" fill="#444"')));
  const yLabelY = top + plotHeight / 2;
  body.push(svgText(14, yLabelY, yLabel, `text-anchor="middle" transform="rotate(-90 14 ${coordinate(yLabelY)})"`));

  // Bars and whiskers.
  const inner = groupWidth * 0.8;
  const barWidth = inner / Math.max(1, series.length);
  const zero = toY(0);
  series.forEach((bars, s) => {
    const color = escapeXml(bars.color ?? (palette[s % palette.length] as string));
    const rects: string[] = [];
    const whiskers: string[] = [];
    bars.values.forEach((value, c) => {
      const x = left + c * groupWidth + (groupWidth - inner) / 2 + s * barWidth;
      if (Number.isFinite(value)) {
        const y = toY(value);
        rects.push(
          `<rect x="${coordinate(x + 1)}" y="${coordinate(Math.min(y, zero))}" width="${coordinate(Math.max(1, barWidth - 2))}" height="${coordinate(Math.abs(zero - y))}"><title>${escapeXml(`${categories[c]} · ${bars.name}: ${value}`)}</title></rect>`,
        );
      }
      const low = bars.low?.[c];
      const high = bars.high?.[c];
      if (low !== undefined && high !== undefined && Number.isFinite(low) && Number.isFinite(high)) {
        const middle = x + barWidth / 2;
        const cap = Math.min(6, barWidth / 4);
        whiskers.push(
          `M${coordinate(middle)} ${coordinate(toY(low))}V${coordinate(toY(high))}M${coordinate(middle - cap)} ${coordinate(toY(low))}h${coordinate(2 * cap)}M${coordinate(middle - cap)} ${coordinate(toY(high))}h${coordinate(2 * cap)}`,
        );
      }
    });
    body.push(`<g class="bars" data-series="${escapeXml(bars.name)}" fill="${color}">`, ...rects, '</g>');
    if (whiskers.length > 0) body.push(`<path class="error-bars" d="${whiskers.join('')}" stroke="#222" stroke-width="1.2" fill="none"/>`);
  });
  body.push(`<path d="M${coordinate(left)} ${coordinate(zero)}H${coordinate(left + plotWidth)}" stroke="#666"/>`);
  body.push(
    `<rect x="${coordinate(left)}" y="${coordinate(top)}" width="${coordinate(plotWidth)}" height="${coordinate(plotHeight)}" fill="none" stroke="#888"/>`,
  );

  // Category labels.
  categoryNames.forEach((name, c) => {
    const x = left + (c + 0.5) * groupWidth;
    const y = top + plotHeight + 16;
    body.push(
      rotate
        ? svgText(x, y - 6, name, `text-anchor="end" font-size="11" transform="rotate(-35 ${coordinate(x)} ${coordinate(y - 6)})"`)
        : svgText(x, y, name, 'text-anchor="middle" font-size="11"'),
    );
  });

  if (series.length > 1) {
    const x0 = width - right + 12;
    body.push('<g class="legend">');
    series.forEach((bars, s) => {
      const y = top + 8 + s * 18;
      body.push(
        `<rect x="${coordinate(x0)}" y="${coordinate(y - 6)}" width="12" height="12" fill="${escapeXml(bars.color ?? (palette[s % palette.length] as string))}"/>`,
        svgText(x0 + 18, y + 4, legendNames[s] as string),
      );
    });
    body.push('</g>');
  }
  return svgDocument(width, height, title, body);
}
