import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { keepJsonLinesUpTo } from './keep-json-lines-up-to.js';

describe('keepJsonLinesUpTo', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'umd-json-lines-'));

  it('keeps the lines up to the step, drops later and blank ones', () => {
    const file = path.join(dir, 'metrics.jsonl');
    writeFileSync(file, '{"step":1,"loss":3}\n{"step":2,"loss":2}\n\n{"step":3,"loss":1}\n');
    keepJsonLinesUpTo(file, 2);
    expect(readFileSync(file, 'utf8')).toBe('{"step":1,"loss":3}\n{"step":2,"loss":2}\n');
    keepJsonLinesUpTo(file, 0);
    expect(readFileSync(file, 'utf8')).toBe('');
  });

  it('creates a missing file empty and refuses a file that is not JSON lines', () => {
    const missing = path.join(dir, 'new.jsonl');
    keepJsonLinesUpTo(missing, 5);
    expect(readFileSync(missing, 'utf8')).toBe('');
    const bad = path.join(dir, 'bad.jsonl');
    writeFileSync(bad, 'not json\n');
    expect(() => keepJsonLinesUpTo(bad, 5)).toThrow(SyntaxError);
    expect(readFileSync(bad, 'utf8')).toBe('not json\n');
  });
});
