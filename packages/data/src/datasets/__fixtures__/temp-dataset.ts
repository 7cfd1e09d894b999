/**
 * Test helper: writes a small dataset tree into a fresh temp folder. Values that are strings or bytes are written as
 * they are; anything else is written as JSON. Folders are created as needed. The folders are removed after the test
 * file's tests have run.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';

/** A few bytes standing in for an image: adapters only check that the file exists. */
export const fakeImage = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);

const created: string[] = [];
afterAll(async () => {
  await Promise.all(created.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Writes `files` (path relative to the new folder -> content) and returns the folder's absolute path. */
export async function writeDataset(files: Readonly<Record<string, unknown>>): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'umd-data-test-'));
  created.push(root);
  for (const [relative, content] of Object.entries(files)) {
    const target = path.join(root, relative);
    await mkdir(path.dirname(target), { recursive: true });
    const data = typeof content === 'string' || content instanceof Uint8Array ? content : JSON.stringify(content, null, 2);
    await writeFile(target, data);
  }
  return root;
}

/** Lines of JSON Lines text. */
export function jsonLines(records: readonly unknown[]): string {
  return records.map((record) => JSON.stringify(record)).join('\n') + '\n';
}

/** Runs `action`, expecting it to reject, and returns the error for field checks. */
export async function rejection(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to reject, but it resolved');
}
