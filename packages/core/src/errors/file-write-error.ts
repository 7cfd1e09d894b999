import { UmdError } from './umd-error.js';

/** A file (checkpoint, report) could not be written. The previous file at `path`, if any, is intact. */
export class FileWriteError extends UmdError {
  constructor(
    readonly path: string,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super({ name: 'UMD_FileWriteError', message, cause: options.cause });
  }
}
