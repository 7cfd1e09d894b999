/** Reading CSV dataset files (RFC 4180: quoted fields, doubled quotes, line breaks inside quotes, CRLF or LF). */
import { readFile } from 'node:fs/promises';

import { DatasetParseError } from '../errors/dataset-parse-error.js';
import { stripBom } from './read-json.js';

/** One data row: its cells and the 1-based line it starts on. */
export interface CsvRow {
  readonly line: number;
  readonly cells: readonly string[];
}

/** A parsed CSV file: the header row and the data rows (blank lines are not rows). */
export interface CsvTable {
  readonly header: readonly string[];
  readonly rows: readonly CsvRow[];
}

/**
 * Reads a CSV file whose first row is the header. Throws `DatasetParseError` (with line and column) for an
 * unterminated quoted field or a quote in the middle of an unquoted field. Rows whose cell count differs from the
 * header's are returned as they are; the caller reports them as malformed records.
 */
export async function readCsv(file: string): Promise<CsvTable> {
  const text = stripBom(await readFile(file, 'utf8'));
  const rows = parseCsv(text, file);
  const [header, ...data] = rows;
  return { header: header?.cells ?? [], rows: data };
}

/** Parses CSV text; `file` only names the source in errors. */
export function parseCsv(text: string, file: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let column = 1;
  let rowLine = 1;
  let index = 0;

  const endRow = (): void => {
    cells.push(cell);
    const blank = cells.length === 1 && cells[0] === '';
    if (!blank) rows.push({ line: rowLine, cells });
    cells = [];
    cell = '';
  };

  while (index < text.length) {
    const char = text[index] as string;
    if (char === '"' && cell === '') {
      const quoteLine = line;
      const quoteColumn = column;
      index++;
      column++;
      for (;;) {
        if (index >= text.length) {
          throw new DatasetParseError(file, quoteLine, quoteColumn, 'unterminated quoted field (the file looks truncated)');
        }
        const inner = text[index] as string;
        if (inner === '"') {
          if (text[index + 1] === '"') {
            cell += '"';
            index += 2;
            column += 2;
            continue;
          }
          index++;
          column++;
          break;
        }
        cell += inner;
        index++;
        if (inner === '\n') {
          line++;
          column = 1;
        } else {
          column++;
        }
      }
      const after = text[index];
      if (after !== undefined && after !== ',' && after !== '\n' && after !== '\r') {
        throw new DatasetParseError(file, line, column, `unexpected ${JSON.stringify(after)} after a closing quote, expected ','`);
      }
      continue;
    }
    if (char === '"') {
      throw new DatasetParseError(file, line, column, 'a quote inside an unquoted field; quote the whole field and double inner quotes');
    }
    if (char === ',') {
      cells.push(cell);
      cell = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[index + 1] === '\n') index++;
      endRow();
      line++;
      column = 0;
      rowLine = line;
    } else {
      cell += char;
    }
    index++;
    column++;
  }
  if (cell !== '' || cells.length > 0) endRow();
  return rows;
}
