import { checkArrayLike, checkInteger } from '../errors/check-input.js';
import { EvaluationInputError } from '../errors/evaluation-input-error.js';
import { formatTick, linearAxis, logAxis, type LinearAxis } from './axis-ticks.js';
import { downsampleMinMax } from './downsample.js';
import { coordinate, escapeXml, idFrom, palette, svgDocument, svgText, textWidth, truncate } from './svg-document.js';

/** One line of a {@link lineChartSvg}. */
export interface LineSeries {
  readonly name: string;
  /** [x, y] pairs in x order; a non-finite y (or y ≤ 0 on a log axis) breaks the line there */
  readonly points: readonly (readonly [number, number])[];
  /** CSS colour (default: the next palette colour) */
  readonly color?: string;
  /** dashed stroke */
  readonly dashed?: boolean;
  /** stroke opacity in (0, 1] (default 1), e.g. 0.3 for raw values under a smoothed line */
  readonly opacity?: number;
}

/** Options of {@link lineChartSvg}. */
export interface LineChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
  /** base-10 log y axis; points with y ≤ 0 are left out (default false) */
  readonly logY?: boolean;
  /** fixed y range [min, max] (e.g. to zoom past early spikes); lines are clipped to it. Default: fitted to the data */
  readonly yDomain?: readonly [number, number];
  /** pixels (default 640 × 360) */
  readonly width?: number;
  readonly height?: number;
  /** points kept per chart before min/max downsampling (default 2000, split over the series by length) */
  readonly maxPoints?: number;
}

/**
 * A line chart as SVG text: one `<path>` per series, axes with ticks and grid, axis labels, a legend on the right.
 * Meant for loss curves (`metricSeries(readMetricsJsonl(text), 'total')`) and GM-Coord coefficient traces. Long
 * series are thinned by min/max bucketing, so files stay small and spikes stay visible; every coordinate written
 * is finite.
 *
 * @throws {EvaluationInputError} a missing title/label, `series` not an array, a point that is not an [x, y] pair of
 *   numbers, a non-finite x, bad size/domain/maxPoints
 */
export function lineChartSvg(options: LineChartOptions): string {
  const { title, xLabel, yLabel, series } = options;
  const logY = options.logY ?? false;
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const maxPoints = options.maxPoints ?? 2000;
  checkLabel(title, 'options.title');
  checkLabel(xLabel, 'options.xLabel');
  checkLabel(yLabel, 'options.yLabel');
  checkArrayLike(series, 'options.series');
  checkInteger(width, 'options.width', 200, 10_000);
  checkInteger(height, 'options.height', 150, 10_000);
  checkInteger(maxPoints, 'options.maxPoints', 10);
  series.forEach((line, s) => checkSeries(line, s));
  if (options.yDomain !== undefined) checkDomain(options.yDomain, logY);

  // Segments of plottable points per series (breaks at unplottable y), thinned in proportion to their length.
  const plottable = (y: number): boolean => Number.isFinite(y) && (!logY || y > 0);
  const segmentsOf = series.map((line) => splitSegments(line.points, plottable));
  const totalPoints = segmentsOf.reduce((sum, segments) => sum + segments.reduce((n, segment) => n + segment.length, 0), 0);
  const thinned = segmentsOf.map((segments) =>
    segments.map((segment) =>
      totalPoints <= maxPoints ? segment : downsampleMinMax(segment, Math.max(2, Math.floor((maxPoints * segment.length) / totalPoints))),
    ),
  );

  // Domains.
  let xMin = Number.POSITIVE_INFINITY;
  let xMax = Number.NEGATIVE_INFINITY;
  let yMin = Number.POSITIVE_INFINITY;
  let yMax = Number.NEGATIVE_INFINITY;
  for (const segments of thinned) {
    for (const segment of segments) {
      for (const [x, y] of segment) {
        xMin = Math.min(xMin, x);
        xMax = Math.max(xMax, x);
        yMin = Math.min(yMin, y);
        yMax = Math.max(yMax, y);
      }
    }
  }
  const hasData = Number.isFinite(xMin);
  const xAxis = linearAxis(hasData ? xMin : 0, hasData ? xMax : 1, 6, false);
  const [yLow, yHigh] = options.yDomain ?? [hasData ? yMin : logY ? 1 : 0, hasData ? yMax : logY ? 10 : 1];
  const yAxis: LinearAxis = logY
    ? options.yDomain !== undefined
      ? clampAxis(logAxis(yLow, yHigh), yLow, yHigh)
      : logAxis(yLow, yHigh)
    : options.yDomain !== undefined
      ? clampAxis(linearAxis(yLow, yHigh, 5, false), yLow, yHigh)
      : linearAxis(yLow, yHigh, 5, true);

  // Layout: title on top, y tick labels and label left, x ticks and label below, legend right.
  const yTickLabels = yAxis.ticks.map((tick) => formatTick(tick, yAxis.step));
  const legendNames = series.map((line) => truncate(line.name, 24));
  const legendWidth = series.length === 0 ? 0 : Math.min(200, 34 + Math.max(...legendNames.map((name) => textWidth(name, 12))));
  const left = 28 + Math.max(24, ...yTickLabels.map((label) => textWidth(label, 11)));
  const top = 36;
  const right = 16 + legendWidth;
  const bottom = 48;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  if (plotWidth < 40 || plotHeight < 40)
    throw new EvaluationInputError('options.width', `room for the plot next to a ${coordinate(legendWidth)} px legend`, width);
  const toX = (x: number): number => left + ((x - xAxis.min) / (xAxis.max - xAxis.min)) * plotWidth;
  const toY = logY
    ? (y: number): number => top + plotHeight - ((Math.log10(y) - Math.log10(yAxis.min)) / (Math.log10(yAxis.max) - Math.log10(yAxis.min))) * plotHeight
    : (y: number): number => top + plotHeight - ((y - yAxis.min) / (yAxis.max - yAxis.min)) * plotHeight;

  const clipId = `plot-${idFrom(title + series.map((line) => line.name).join('\u0000'))}`;
  const body: string[] = [
    `<defs><clipPath id="${clipId}"><rect x="${coordinate(left - 3)}" y="${coordinate(top - 3)}" width="${coordinate(plotWidth + 6)}" height="${coordinate(plotHeight + 6)}"/></clipPath></defs>`,
    svgText(width / 2, 22, title, 'text-anchor="middle" font-size="14" font-weight="600"'),
  ];

  // Grid and ticks.
  const grid: string[] = [];
  const labels: string[] = [];
  yAxis.ticks.forEach((tick, i) => {
    const y = toY(tick);
    if (!Number.isFinite(y) || y < top - 0.5 || y > top + plotHeight + 0.5) return;
    grid.push(`M${coordinate(left)} ${coordinate(y)}H${coordinate(left + plotWidth)}`);
    labels.push(svgText(left - 6, y + 4, yTickLabels[i] as string, 'text-anchor="end" font-size="11" fill="#444"'));
  });
  for (const tick of xAxis.ticks) {
    const x = toX(tick);
    grid.push(`M${coordinate(x)} ${coordinate(top)}V${coordinate(top + plotHeight)}`);
    labels.push(svgText(x, top + plotHeight + 16, formatTick(tick, xAxis.step), 'text-anchor="middle" font-size="11" fill="#444"'));
  }
  body.push(`<path class="grid" d="${grid.join('')}" stroke="#e5e5e5" stroke-width="1" fill="none"/>`);
  body.push(
    `<rect class="frame" x="${coordinate(left)}" y="${coordinate(top)}" width="${coordinate(plotWidth)}" height="${coordinate(plotHeight)}" fill="none" stroke="#888" stroke-width="1"/>`,
  );
  body.push(...labels);
  body.push(svgText(left + plotWidth / 2, height - 10, xLabel, 'text-anchor="middle" font-size="12"'));
  const yLabelX = 14;
  const yLabelY = top + plotHeight / 2;
  body.push(svgText(yLabelX, yLabelY, yLabel, `text-anchor="middle" font-size="12" transform="rotate(-90 ${coordinate(yLabelX)} ${coordinate(yLabelY)})"`));
  if (!hasData) body.push(svgText(left + plotWidth / 2, top + plotHeight / 2, 'no data', 'text-anchor="middle" fill="#888"'));

  // Lines.
  const lines: string[] = [];
  series.forEach((line, s) => {
    const d = (thinned[s] as (readonly [number, number])[][])
      .map((segment) => {
        const coordinates = segment.map(([x, y]) => `${coordinate(toX(x))} ${coordinate(toY(y))}`);
        return segment.length === 1 ? `M${coordinates[0]}l0 0` : `M${coordinates.join('L')}`;
      })
      .join('');
    lines.push(
      `<path class="series" data-series="${escapeXml(line.name)}" d="${d}" fill="none" stroke="${escapeXml(colorOf(line, s))}" stroke-width="1.6" stroke-linejoin="round" stroke-linecap="round"${line.dashed === true ? ' stroke-dasharray="5 3"' : ''}${line.opacity === undefined ? '' : ` stroke-opacity="${coordinate(line.opacity)}"`}/>`,
    );
  });
  body.push(`<g clip-path="url(#${clipId})">`, ...lines, '</g>');

  // Legend.
  if (series.length > 0) {
    const x0 = width - right + 12;
    body.push('<g class="legend">');
    series.forEach((line, s) => {
      const y = top + 8 + s * 18;
      body.push(
        `<path d="M${coordinate(x0)} ${coordinate(y)}h18" stroke="${escapeXml(colorOf(line, s))}" stroke-width="2.5"${line.dashed === true ? ' stroke-dasharray="5 3"' : ''}${line.opacity === undefined ? '' : ` stroke-opacity="${coordinate(Math.max(0.4, line.opacity))}"`}/>`,
        svgText(x0 + 24, y + 4, legendNames[s] as string),
      );
    });
    body.push('</g>');
  }
  return svgDocument(width, height, title, body);
}

function colorOf(line: LineSeries, index: number): string {
  return line.color ?? (palette[index % palette.length] as string);
}

/** The axis over exactly [min, max], keeping the ticks inside it. */
function clampAxis(axis: LinearAxis, min: number, max: number): LinearAxis {
  const epsilon = (max - min) * 1e-9;
  return { ...axis, min, max, ticks: axis.ticks.filter((tick) => tick >= min - epsilon && tick <= max + epsilon) };
}

function splitSegments(points: readonly (readonly [number, number])[], plottable: (y: number) => boolean): (readonly [number, number])[][] {
  const segments: (readonly [number, number])[][] = [];
  let current: (readonly [number, number])[] = [];
  for (const point of points) {
    if (plottable(point[1])) current.push(point);
    else if (current.length > 0) {
      segments.push(current);
      current = [];
    }
  }
  if (current.length > 0) segments.push(current);
  return segments;
}

function checkLabel(value: unknown, argument: string): void {
  if (typeof value !== 'string') throw new EvaluationInputError(argument, 'a string', value);
}

function checkSeries(line: LineSeries, index: number): void {
  const argument = `options.series[${index}]`;
  if (line === null || typeof line !== 'object') throw new EvaluationInputError(argument, 'a { name, points } object', line);
  checkLabel(line.name, `${argument}.name`);
  checkArrayLike(line.points, `${argument}.points`);
  line.points.forEach((point, p) => {
    if (!Array.isArray(point) || point.length !== 2 || typeof point[0] !== 'number' || typeof point[1] !== 'number') {
      throw new EvaluationInputError(`${argument}.points[${p}]`, 'an [x, y] pair of numbers', point);
    }
    if (!Number.isFinite(point[0])) throw new EvaluationInputError(`${argument}.points[${p}][0]`, 'a finite x', point[0]);
  });
  if (line.opacity !== undefined && !(typeof line.opacity === 'number' && line.opacity > 0 && line.opacity <= 1)) {
    throw new EvaluationInputError(`${argument}.opacity`, 'a number in (0, 1]', line.opacity);
  }
}

function checkDomain(domain: readonly [number, number], logY: boolean): void {
  const [low, high] = Array.isArray(domain) ? domain : [Number.NaN, Number.NaN];
  if (!(Number.isFinite(low) && Number.isFinite(high) && (low as number) < (high as number)) || (logY && (low as number) <= 0)) {
    throw new EvaluationInputError('options.yDomain', logY ? '[min, max] with 0 < min < max' : '[min, max] with finite min < max', domain);
  }
}
