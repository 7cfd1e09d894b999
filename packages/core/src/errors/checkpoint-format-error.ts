import { UmdError } from './umd-error.js';

/** A file is not a readable safetensors checkpoint (truncated, bad header, offsets out of range, unknown dtype). */
export class CheckpointFormatError extends UmdError {
  constructor(
    readonly path: string,
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super({ name: 'UMD_CheckpointFormatError', message: `${path}: not a valid safetensors file: ${reason}`, cause: options.cause });
  }
}
