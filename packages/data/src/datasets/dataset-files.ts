/** Finding a dataset's folders and files, with errors that say what was expected where. */
import { stat } from 'node:fs/promises';
import path from 'node:path';

import { DatasetNotFoundError } from '../errors/dataset-not-found-error.js';
import { EmptySplitError } from '../errors/empty-split-error.js';

/** What a path is on disk, or `undefined` if nothing is there. */
export async function pathKind(target: string): Promise<'file' | 'directory' | 'other' | undefined> {
  try {
    const info = await stat(target);
    return info.isFile() ? 'file' : info.isDirectory() ? 'directory' : 'other';
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/**
 * Resolves the dataset root to an absolute path and checks that it is a folder; throws `DatasetNotFoundError` naming
 * the files the adapter expects there otherwise.
 */
export async function requireDatasetRoot(dataset: string, root: string, expected: readonly string[]): Promise<string> {
  const absolute = path.resolve(root);
  const kind = await pathKind(absolute);
  if (kind !== 'directory') {
    throw new DatasetNotFoundError(
      dataset,
      absolute,
      [],
      kind === undefined
        ? `Pass the folder of the download (it should contain ${expected.map((entry) => `'${entry}'`).join(', ')}).`
        : 'It is not a folder: pass the dataset folder, not a file in it.',
    );
  }
  return absolute;
}

/** The first of `candidates` (relative to `root`) that exists with the given kind, or `undefined`. */
export async function firstExisting(root: string, candidates: readonly string[], kind: 'file' | 'directory'): Promise<string | undefined> {
  for (const candidate of candidates) {
    if ((await pathKind(path.join(root, candidate))) === kind) return candidate;
  }
  return undefined;
}

/** Like {@link firstExisting}, but throws `DatasetNotFoundError` listing the candidates when none exists. */
export async function requireExisting(
  dataset: string,
  root: string,
  candidates: readonly string[],
  kind: 'file' | 'directory',
  hint?: string,
): Promise<string> {
  const found = await firstExisting(root, candidates, kind);
  if (found !== undefined) return found;
  throw new DatasetNotFoundError(dataset, path.join(root, candidates[0] ?? ''), candidates, hint);
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Throws `EmptySplitError` when a split file yielded no records at all. */
export function requireRecords(dataset: string, split: string, file: string, count: number): void {
  if (count === 0) throw new EmptySplitError(dataset, split, file, 'no records');
}
