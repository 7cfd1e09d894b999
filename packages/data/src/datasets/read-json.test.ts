import { describe, expect, it } from 'vitest';

import { DatasetParseError } from '../errors/dataset-parse-error.js';
import { rejection, writeDataset } from './__fixtures__/temp-dataset.js';
import { locateJsonError, readJsonArray, readJsonFile, readJsonLines, splitLines } from './read-json.js';
import path from 'node:path';

describe('locateJsonError', () => {
  it.each([
    ['{"a": 1 "b": 2}', 8, "expected ',' or '}'"],
    ['[1, 2,]', 6, 'trailing comma'],
    ['{"a": [1, 2', 11, 'end of file'],
    ['{"a": "open', 6, 'unterminated string'],
    ['{"a": "\\x"}', 8, 'invalid escape'],
    ["{'a': 1}", 1, 'property name'],
    ['{"a": tru}', 6, '"true"'],
    ['{"a": 01}', 7, "expected ',' or '}'"],
    ['[1] [2]', 4, 'after the end'],
    ['', 0, 'expected a value'],
  ])('finds the error in %j at offset %i', (text, offset, reason) => {
    const found = locateJsonError(text);
    expect(found?.offset).toBe(offset);
    expect(found?.reason).toContain(reason);
  });

  it('returns undefined for valid JSON', () => {
    expect(locateJsonError('{"a": [1, -2.5e3, "x\\u00e9", true, false, null], "b": {}}')).toBeUndefined();
  });
});

describe('readJsonFile', () => {
  it('reports the line and column of a syntax error in a multi-line file', async () => {
    const root = await writeDataset({ 'train.json': '[\n  {"qid": 1, "answer": "yes"},\n  {"qid": 2 "answer": "no"}\n]\n' });
    const error = await rejection(() => readJsonFile(path.join(root, 'train.json')));
    expect(error).toBeInstanceOf(DatasetParseError);
    expect(error).toMatchObject({ file: path.join(root, 'train.json'), line: 3, column: 13 });
    expect((error as Error).message).toContain('train.json:3:13');
  });

  it('reports a truncated file at its end', async () => {
    const root = await writeDataset({ 'train.json': '[\n  {"qid": 1, "ans' });
    const error = await rejection(() => readJsonFile(path.join(root, 'train.json')));
    expect(error).toMatchObject({ line: 2, column: 14 });
    expect((error as DatasetParseError).reason).toContain('truncated');
  });

  it('accepts a byte-order mark', async () => {
    const root = await writeDataset({ 'a.json': '\ufeff[1]' });
    expect(await readJsonFile(path.join(root, 'a.json'))).toEqual([1]);
  });

  it('rejects a file that is not an array of records', async () => {
    const root = await writeDataset({ 'a.json': { records: [] } });
    const error = await rejection(() => readJsonArray(path.join(root, 'a.json')));
    expect(error).toMatchObject({ line: 1, column: 1 });
    expect((error as Error).message).toContain('expected a JSON array of records, got an object');
  });
});

describe('readJsonLines', () => {
  it('parses each line, keeps line numbers past blank lines, and returns bad lines as errors', async () => {
    const root = await writeDataset({ 'a.jsonl': '{"a": 1}\r\n\r\n{"a": 2,}\n{"a": 3}' });
    const lines = await readJsonLines(path.join(root, 'a.jsonl'));
    expect(lines.map((entry) => entry.line)).toEqual([1, 3, 4]);
    expect(lines[0]).toEqual({ line: 1, value: { a: 1 } });
    const bad = lines[1];
    expect(bad && 'error' in bad ? bad.error : undefined).toMatchObject({ line: 3, column: 9 });
    expect(lines[2]).toEqual({ line: 4, value: { a: 3 } });
  });
});

describe('splitLines', () => {
  it('handles CRLF and a final newline', () => {
    expect(splitLines('a\r\nb\n')).toEqual(['a', 'b']);
    expect(splitLines('')).toEqual([]);
  });
});
