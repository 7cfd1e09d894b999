import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const srcDir = fileURLToPath(new URL('.', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'tfjs' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('the core entry (everything outside src/tfjs)', () => {
  const files = sourceFiles(srcDir);

  it('imports no tfjs, no Node built-in and nothing from src/tfjs', () => {
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const specifiers = [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1] ?? '');
      const bad = specifiers.filter((s) => !s.startsWith('.') || s.includes('/tfjs/') || s.startsWith('./tfjs'));
      expect(bad, relative(srcDir, file)).toEqual([]);
    }
  });

  it('uses no Node-only globals', () => {
    for (const file of files) {
      expect(readFileSync(file, 'utf8'), relative(srcDir, file)).not.toMatch(/\b(process|Buffer|require|__dirname)\b/);
    }
  });
});
