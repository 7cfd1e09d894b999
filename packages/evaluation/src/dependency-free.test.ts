import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const srcDir = fileURLToPath(new URL('.', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

describe('@umd/evaluation sources', () => {
  const files = sourceFiles(srcDir);

  it('import only each other and Node built-ins (no tfjs, no @umd package)', () => {
    expect(files.length).toBeGreaterThan(15);
    for (const file of files) {
      const specifiers = [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((m) => m[1] ?? '');
      expect(
        specifiers.filter((s) => !s.startsWith('.') && !s.startsWith('node:')),
        relative(srcDir, file),
      ).toEqual([]);
    }
  });

  it('use Node built-ins only in writeReportFiles', () => {
    const users = files.filter((file) => /from 'node:/.test(readFileSync(file, 'utf8'))).map((file) => relative(srcDir, file));
    expect(users).toEqual([join('report', 'write-report-files.ts')]);
  });
});
