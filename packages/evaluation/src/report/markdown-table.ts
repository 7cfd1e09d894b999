import { checkArrayLike, checkInteger } from '../errors/check-input.js';
import { EvaluationInputError } from '../errors/evaluation-input-error.js';
import { formatNumber } from './format-number.js';

/** Column alignment in a Markdown table. */
export type ColumnAlign = 'left' | 'right' | 'center';

/** Options of {@link markdownTable}. */
export interface MarkdownTableOptions {
  /**
   * One alignment for every column or one per column. Default: right for columns whose cells are all numbers,
   * left otherwise.
   */
  readonly align?: ColumnAlign | readonly (ColumnAlign | undefined)[];
  /**
   * Decimals for numeric cells, for every column or per column. Default: integers as they are, other numbers with 2
   * decimals. NaN prints as '–'.
   */
  readonly digits?: number | readonly (number | undefined)[];
}

/**
 * A GitHub-flavoured Markdown table, columns padded so the source reads as a table too. Cells may be strings or
 * numbers; `|` in a cell is escaped and line breaks become `<br>`. Rows shorter than the header are padded with
 * empty cells.
 *
 * ```ts
 * markdownTable(['model', 'open', 'closed'], [['UMD', 62.31, 80.5]], { digits: 1 });
 * // | model | open | closed |
 * // | :---- | ---: | -----: |
 * // | UMD   | 62.3 |   80.5 |
 * ```
 *
 * @throws {EvaluationInputError} no headers, a row longer than the header, a cell that is not a string or number,
 *   bad `align`/`digits`
 */
export function markdownTable(headers: readonly string[], rows: readonly (readonly (string | number)[])[], options: MarkdownTableOptions = {}): string {
  checkArrayLike(headers, 'headers');
  checkArrayLike(rows, 'rows');
  const columns = headers.length;
  if (columns === 0) throw new EvaluationInputError('headers', 'at least one column', headers);
  headers.forEach((header, c) => {
    if (typeof header !== 'string') throw new EvaluationInputError(`headers[${c}]`, 'a string', header);
  });
  rows.forEach((row, r) => {
    checkArrayLike(row, `rows[${r}]`);
    if (row.length > columns) throw new EvaluationInputError(`rows[${r}].length`, `at most ${columns} cells (one per header)`, row.length);
    row.forEach((cell, c) => {
      if (typeof cell !== 'string' && typeof cell !== 'number') throw new EvaluationInputError(`rows[${r}][${c}]`, 'a string or a number', cell);
    });
  });

  const digitsOf = perColumn(options.digits, columns, 'options.digits', (value, argument) => checkInteger(value, argument, 0, 20));
  const alignOf = perColumn(options.align, columns, 'options.align', (value, argument) => {
    if (value !== 'left' && value !== 'right' && value !== 'center') throw new EvaluationInputError(argument, "'left', 'right' or 'center'", value);
  });

  const text = rows.map((row) =>
    Array.from({ length: columns }, (_, c) => {
      const cell = row[c];
      if (cell === undefined) return '';
      if (typeof cell === 'string') return escapeCell(cell);
      const digits = digitsOf[c];
      return digits === undefined ? (Number.isInteger(cell) ? String(cell) : formatNumber(cell, 2)) : formatNumber(cell, digits);
    }),
  );
  const align = Array.from({ length: columns }, (_, c): ColumnAlign => {
    const given = alignOf[c];
    if (given !== undefined) return given;
    const numeric = rows.length > 0 && rows.every((row) => row[c] === undefined || typeof row[c] === 'number');
    return numeric ? 'right' : 'left';
  });
  const header = headers.map(escapeCell);
  const widths = header.map((cell, c) => Math.max(3, [...cell].length, ...text.map((row) => [...(row[c] as string)].length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((cell, c) => pad(cell, widths[c] as number, align[c] as ColumnAlign)).join(' | ')} |`;
  const rule = `| ${widths
    .map((width, c) => {
      const a = align[c];
      if (a === 'right') return `${'-'.repeat(width - 1)}:`;
      if (a === 'center') return `:${'-'.repeat(width - 2)}:`;
      return `:${'-'.repeat(width - 1)}`;
    })
    .join(' | ')} |`;
  return [line(header), rule, ...text.map(line)].join('\n') + '\n';
}

function perColumn<T>(
  value: T | readonly (T | undefined)[] | undefined,
  columns: number,
  argument: string,
  check: (value: unknown, argument: string) => void,
): (T | undefined)[] {
  if (value === undefined) return new Array<T | undefined>(columns).fill(undefined);
  if (Array.isArray(value)) {
    if (value.length !== columns) throw new EvaluationInputError(`${argument}.length`, `${columns} (one per column)`, value.length);
    value.forEach((entry, c) => entry === undefined || check(entry, `${argument}[${c}]`));
    return [...(value as (T | undefined)[])];
  }
  check(value, argument);
  return new Array<T | undefined>(columns).fill(value as T);
}

function escapeCell(cell: string): string {
  return cell.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

function pad(cell: string, width: number, align: ColumnAlign): string {
  const space = width - [...cell].length;
  if (space <= 0) return cell;
  if (align === 'right') return ' '.repeat(space) + cell;
  if (align === 'center') return ' '.repeat(Math.floor(space / 2)) + cell + ' '.repeat(Math.ceil(space / 2));
  return cell + ' '.repeat(space);
}
