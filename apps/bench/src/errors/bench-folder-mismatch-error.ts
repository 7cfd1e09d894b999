import { UmdError } from '@umd/core';

/**
 * A worker sees, at the grid's output folder path, no folder or the folder of another grid: workers must share the
 * folder the grid was created in (one path, one shared file system).
 */
export class BenchFolderMismatchError extends UmdError {
  constructor(
    readonly outDir: string,
    readonly problem: string,
  ) {
    super({
      name: 'UMD_BenchFolderMismatchError',
      message:
        `${outDir} is not the output folder the queued grid was created in: ${problem}. Every worker must see that folder at the same path ` +
        '(a shared file system such as NFS mounted there).',
    });
  }
}
