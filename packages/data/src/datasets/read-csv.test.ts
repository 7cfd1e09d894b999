import { describe, expect, it } from 'vitest';

import { DatasetParseError } from '../errors/dataset-parse-error.js';
import { parseCsv } from './read-csv.js';

describe('parseCsv', () => {
  it('reads quoted fields, doubled quotes, commas and line breaks inside quotes', () => {
    const rows = parseCsv('id,caption\n1,"A ""big"", bright mass\non CT"\r\n2,plain\n\n', 'x.csv');
    expect(rows).toEqual([
      { line: 1, cells: ['id', 'caption'] },
      { line: 2, cells: ['1', 'A "big", bright mass\non CT'] },
      { line: 4, cells: ['2', 'plain'] },
    ]);
  });

  it('keeps empty cells and a last row without newline', () => {
    expect(parseCsv('a,b,c\n,,x', 'x.csv')[1]).toEqual({ line: 2, cells: ['', '', 'x'] });
  });

  it('reports an unterminated quote where it opened', () => {
    const run = () => parseCsv('a,b\n1,"never closed\n2,3\n', 'x.csv');
    expect(run).toThrow(DatasetParseError);
    expect(run).toThrow(/x\.csv:2:3: unterminated quoted field/);
  });

  it('reports a stray quote inside an unquoted field', () => {
    expect(() => parseCsv('a,b\n1,ab"c\n', 'x.csv')).toThrow(/x\.csv:2:5: a quote inside an unquoted field/);
  });
});
