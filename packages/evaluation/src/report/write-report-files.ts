import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { EvaluationInputError } from '../errors/evaluation-input-error.js';

/**
 * Writes report files (the strings this package's writers return) into `outDir`, creating it and any sub-folders.
 * Each file is written to a temporary name and renamed, so a reader never sees half a file.
 *
 * ```ts
 * await writeReportFiles('runs/vqa-rad', { 'results.md': markdownTable(…), 'loss.svg': lineChartSvg(…) });
 * ```
 *
 * @param files relative path (POSIX `/` separators, no `..`) → content
 * @returns the absolute paths written, in the order of `files`
 * @throws {EvaluationInputError} a path is absolute, empty or leaves `outDir`; a content is not a string
 */
export async function writeReportFiles(outDir: string, files: Readonly<Record<string, string | Uint8Array>>): Promise<string[]> {
  if (typeof outDir !== 'string' || outDir === '') throw new EvaluationInputError('outDir', 'a folder path', outDir);
  const root = path.resolve(outDir);
  const targets = Object.entries(files).map(([name, content]) => {
    const target = path.resolve(root, name);
    if (name === '' || path.isAbsolute(name) || !target.startsWith(root + path.sep)) {
      throw new EvaluationInputError(`files[${JSON.stringify(name)}]`, `a relative path inside outDir`, name);
    }
    if (typeof content !== 'string' && !(content instanceof Uint8Array))
      throw new EvaluationInputError(`files[${JSON.stringify(name)}]`, 'a string or Uint8Array', content);
    return { target, content };
  });
  for (const { target, content } of targets) {
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.${process.pid}.tmp`;
    await writeFile(temporary, content);
    await rename(temporary, target);
  }
  return targets.map(({ target }) => target);
}
