import { describe, expect, it } from 'vitest';

import { markdownTable } from './markdown-table.js';

describe('markdownTable', () => {
  it('pads columns, right-aligns numeric columns and formats numbers', () => {
    const table = markdownTable(
      ['model', 'open', 'n'],
      [
        ['UMD', 62.3456, 451],
        ['question-only', 30.7, 451],
      ],
      { digits: [undefined, 1, undefined] },
    );
    expect(table).toBe(
      ['| model         | open |   n |', '| :------------ | ---: | --: |', '| UMD           | 62.3 | 451 |', '| question-only | 30.7 | 451 |', ''].join('\n'),
    );
  });

  it('uses 2 decimals for non-integers by default and a dash for NaN', () => {
    const table = markdownTable(['a'], [[0.5], [Number.NaN], [3]]);
    expect(table.split('\n').slice(2, 5)).toEqual(['| 0.50 |', '|    – |', '|    3 |']);
  });

  it('escapes pipes and line breaks in cells and pads short rows', () => {
    const table = markdownTable(['q', 'a'], [['left | right?', 'yes'], ['two\nlines']]);
    expect(table).toContain('left \\| right?');
    expect(table).toContain('two<br>lines');
    expect(table.trimEnd().split('\n')).toHaveLength(4);
    for (const line of table.trimEnd().split('\n')) expect(line.replace(/\\\|/g, '').split('|')).toHaveLength(4);
  });

  it('honours explicit alignment', () => {
    expect(markdownTable(['x', 'y'], [['a', 'b']], { align: ['center', 'right'] }).split('\n')[1]).toBe('| :-: | --: |');
  });

  it('rejects rows longer than the header, bad cells and bad options', () => {
    expect(() => markdownTable(['a'], [[1, 2]])).toThrow(/rows\[0\]\.length/);
    expect(() => markdownTable(['a'], [[{} as unknown as string]])).toThrow(/rows\[0\]\[0\]/);
    expect(() => markdownTable([], [])).toThrow(/headers/);
    expect(() => markdownTable(['a'], [], { digits: [1, 2] })).toThrow(/options\.digits\.length/);
    expect(() => markdownTable(['a'], [], { align: 'middle' as 'left' })).toThrow(/options\.align/);
  });
});
