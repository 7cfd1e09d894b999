import { checkArrayLike } from '../errors/check-input.js';
import { EvaluationInputError } from '../errors/evaluation-input-error.js';
import { coordinate, escapeXml, idFrom, svgDocument, svgText, textWidth, truncate } from './svg-document.js';

/** Options of {@link confusionMatrixSvg}. */
export interface ConfusionMatrixSvgOptions {
  readonly title: string;
  /**
   * What the shading shows: `'row'` (default) the fraction of each true class predicted as each class (the diagonal
   * is per-class recall), so rare classes are as visible as common ones; `'none'` the count relative to the largest.
   */
  readonly normalize?: 'row' | 'none';
  /** cell size in pixels (default: fits the matrix in about 520 px, between 8 and 56) */
  readonly cellSize?: number;
}

/**
 * A confusion matrix as SVG text: rows are true classes, columns predicted classes (the orientation of
 * {@link confusionMatrix}), cells shaded white → blue, counts written in the cells when they fit (zeros only in
 * cells ≥ 28 px, to keep large matrices readable; the row percentage as a tooltip for up to 40 classes), a colour
 * scale on the right.
 *
 * @param matrix [K][K] counts, `matrix[true][predicted]`
 * @param labels [K] class names (default: the indices)
 * @throws {EvaluationInputError} not square, a negative or non-finite count, wrong number of labels, bad options
 */
export function confusionMatrixSvg(matrix: readonly (readonly number[])[], labels: readonly string[] | undefined, options: ConfusionMatrixSvgOptions): string {
  checkArrayLike(matrix, 'matrix');
  const k = matrix.length;
  if (k === 0) throw new EvaluationInputError('matrix', 'at least one class (a [K][K] array)', matrix);
  matrix.forEach((row, r) => {
    checkArrayLike(row, `matrix[${r}]`);
    if (row.length !== k) throw new EvaluationInputError(`matrix[${r}].length`, `${k} (a square [K][K] matrix)`, row.length);
    row.forEach((count, c) => {
      if (typeof count !== 'number' || !Number.isFinite(count) || count < 0) throw new EvaluationInputError(`matrix[${r}][${c}]`, 'a finite count ≥ 0', count);
    });
  });
  const names = labels === undefined ? Array.from({ length: k }, (_, i) => String(i)) : [...labels];
  if (names.length !== k) throw new EvaluationInputError('labels.length', `${k} (one per class)`, names.length);
  names.forEach((name, i) => {
    if (typeof name !== 'string') throw new EvaluationInputError(`labels[${i}]`, 'a string', name);
  });
  if (options === null || typeof options !== 'object' || typeof options.title !== 'string')
    throw new EvaluationInputError('options.title', 'a string', options?.title);
  const normalize = options.normalize ?? 'row';
  if (normalize !== 'row' && normalize !== 'none') throw new EvaluationInputError('options.normalize', "'row' or 'none'", normalize);
  const cell = options.cellSize ?? Math.max(8, Math.min(56, Math.floor(520 / k)));
  if (typeof cell !== 'number' || !Number.isFinite(cell) || cell < 4 || cell > 200)
    throw new EvaluationInputError('options.cellSize', 'a number of pixels in [4, 200]', cell);

  const rowTotals = matrix.map((row) => row.reduce((sum, count) => sum + count, 0));
  const maxCount = Math.max(0, ...matrix.map((row) => Math.max(...row)));
  const shade = (r: number, c: number): number => {
    const count = (matrix[r] as readonly number[])[c] as number;
    const denominator = normalize === 'row' ? (rowTotals[r] as number) : maxCount;
    return denominator === 0 ? 0 : count / denominator;
  };

  // Layout.
  const labelFont = Math.max(8, Math.min(12, cell * 0.45));
  const shown = names.map((name) => truncate(name, 20));
  const longest = Math.max(...shown.map((name) => textWidth(name, labelFont)));
  const rotate = longest > cell - 4;
  const left = 36 + longest + 8;
  const top = 40;
  const grid = cell * k;
  const bottom = 34 + (rotate ? longest * 0.72 + 8 : labelFont + 8);
  const scaleWidth = 64;
  const width = Math.max(left + grid + scaleWidth, textWidth(options.title, 14) + 32);
  const height = top + grid + bottom;

  const body: string[] = [svgText(width / 2, 24, options.title, 'text-anchor="middle" font-size="14" font-weight="600"')];
  const countFont = Math.min(12, cell * 0.42);
  const writeCounts = cell >= 18;
  const tooltips = k <= 40;
  const cells: string[] = [`<rect x="${coordinate(left)}" y="${coordinate(top)}" width="${coordinate(grid)}" height="${coordinate(grid)}" fill="#ffffff"/>`];
  const counts: string[] = [];
  for (let r = 0; r < k; r++) {
    for (let c = 0; c < k; c++) {
      const count = (matrix[r] as readonly number[])[c] as number;
      const value = shade(r, c);
      const x = left + c * cell;
      const y = top + r * cell;
      const tip = tooltips
        ? `<title>${escapeXml(`true ${names[r]}, predicted ${names[c]}: ${count}${rowTotals[r] === 0 ? '' : ` (${((100 * count) / (rowTotals[r] as number)).toFixed(1)}% of the row)`}`)}</title>`
        : '';
      if (count > 0 || tooltips) {
        cells.push(
          `<rect class="cell" x="${coordinate(x)}" y="${coordinate(y)}" width="${coordinate(cell)}" height="${coordinate(cell)}" fill="${blue(value)}">${tip}</rect>`,
        );
      }
      if (writeCounts && (count > 0 || cell >= 28)) {
        counts.push(
          svgText(
            x + cell / 2,
            y + cell / 2 + countFont * 0.36,
            formatCount(count),
            `text-anchor="middle" font-size="${coordinate(countFont)}" fill="${value > 0.55 ? '#ffffff' : '#222222'}"`,
          ),
        );
      }
    }
  }
  body.push(...cells, `<g class="counts">`, ...counts, '</g>');
  body.push(`<rect x="${coordinate(left)}" y="${coordinate(top)}" width="${coordinate(grid)}" height="${coordinate(grid)}" fill="none" stroke="#888"/>`);

  // Class labels: rows (true) on the left, columns (predicted) below.
  shown.forEach((name, i) => {
    body.push(svgText(left - 6, top + i * cell + cell / 2 + labelFont * 0.36, name, `text-anchor="end" font-size="${coordinate(labelFont)}"`));
    const x = left + i * cell + cell / 2;
    const y = top + grid + 6 + labelFont * 0.8;
    body.push(
      rotate
        ? svgText(
            x + labelFont * 0.3,
            top + grid + 8,
            name,
            `text-anchor="end" font-size="${coordinate(labelFont)}" transform="rotate(-45 ${coordinate(x + labelFont * 0.3)} ${coordinate(top + grid + 8)})"`,
          )
        : svgText(x, y, name, `text-anchor="middle" font-size="${coordinate(labelFont)}"`),
    );
  });
  body.push(svgText(left + grid / 2, height - 10, 'Predicted', 'text-anchor="middle" font-size="12" font-weight="600"'));
  body.push(
    svgText(14, top + grid / 2, 'True', `text-anchor="middle" font-size="12" font-weight="600" transform="rotate(-90 14 ${coordinate(top + grid / 2)})"`),
  );

  // Colour scale.
  const scaleX = left + grid + 16;
  const scaleHeight = Math.min(grid, 200);
  const gradientId = `scale-${idFrom(options.title + names.join('\u0000'))}`;
  body.push(
    `<defs><linearGradient id="${gradientId}" x1="0" y1="1" x2="0" y2="0"><stop offset="0" stop-color="${blue(0)}"/><stop offset="0.5" stop-color="${blue(0.5)}"/><stop offset="1" stop-color="${blue(1)}"/></linearGradient></defs>`,
    `<rect x="${coordinate(scaleX)}" y="${coordinate(top)}" width="12" height="${coordinate(scaleHeight)}" fill="url(#${gradientId})" stroke="#888"/>`,
    svgText(scaleX + 16, top + 9, normalize === 'row' ? '100%' : formatCount(maxCount), 'font-size="10" fill="#444"'),
    svgText(scaleX + 16, top + scaleHeight, normalize === 'row' ? '0%' : '0', 'font-size="10" fill="#444"'),
  );
  return svgDocument(width, height, options.title, body);
}

/** White (0) → dark blue (1). */
function blue(value: number): string {
  const t = Math.min(1, Math.max(0, value));
  const channel = (from: number, to: number): string =>
    Math.round(from + (to - from) * t)
      .toString(16)
      .padStart(2, '0');
  return `#${channel(255, 8)}${channel(255, 48)}${channel(255, 107)}`;
}

function formatCount(count: number): string {
  return Number.isInteger(count) ? String(count) : count.toFixed(2);
}
