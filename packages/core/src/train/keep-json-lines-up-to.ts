import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Drops the lines of a JSON-lines log (`metrics.jsonl` and its kind: one object with a numeric `step` per line) whose
 * `step` is after `step`: a resumed run rewinds its logs to its checkpoint, a fresh start (`step` 0) empties them. A
 * missing file becomes an empty one; blank lines are dropped.
 *
 * @throws SyntaxError when a line is not JSON (a log this function did not write is not silently rewritten)
 */
export function keepJsonLinesUpTo(file: string, step: number): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = '';
  }
  const kept = text
    .split('\n')
    .filter((line) => line.trim() !== '' && (JSON.parse(line) as { step: number }).step <= step)
    .map((line) => `${line}\n`)
    .join('');
  writeFileSync(file, kept);
}
