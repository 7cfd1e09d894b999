import { UmdError } from '@umd/core';

/**
 * A dataset folder, or a file the dataset's layout requires, does not exist. Names the path that was looked for and
 * the files the adapter expects there, so the user can compare with the official download.
 */
export class DatasetNotFoundError extends UmdError {
  constructor(
    /** `vqa-rad`, `slake`, ... */
    readonly dataset: string,
    /** The absolute path that is missing. */
    readonly path: string,
    /** What the adapter looks for at that path (relative to the dataset root), in order of preference. */
    readonly expected: readonly string[],
    hint?: string,
  ) {
    const wanted = expected.length > 0 ? ` Expected ${expected.map((entry) => `'${entry}'`).join(' or ')}.` : '';
    super({
      name: 'UMD_DatasetNotFoundError',
      message: `${dataset}: ${path} does not exist.${wanted}${hint ? ` ${hint}` : ''}`,
    });
  }
}
