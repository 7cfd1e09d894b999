import { UmdError } from './umd-error.js';

/**
 * A checkpoint's content does not match the digest written with it: bytes changed after the write (a bad disk, a
 * partial copy, an edit). Its weights must not be used.
 */
export class CheckpointDamagedError extends UmdError {
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super({
      name: 'UMD_CheckpointDamagedError',
      message:
        `${path}: the checkpoint is damaged — the SHA-256 of its tensor data and metadata is ${actual}, ` +
        `but ${expected} was recorded when it was written. Use an older checkpoint (a resume does so by itself).`,
    });
  }
}
