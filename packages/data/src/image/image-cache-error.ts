import { UmdError } from '@umd/core';

/** The preprocessed-image cache could not be read or written. `path` is the cache file; the I/O error is the `cause`. */
export class ImageCacheError extends UmdError {
  constructor(
    readonly path: string,
    readonly operation: 'read' | 'write',
    options: { cause?: unknown } = {},
  ) {
    const detail = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super({
      name: 'UMD_ImageCacheError',
      message:
        `Cannot ${operation} the image cache file '${path}': ${detail}. ` +
        'Make the cache directory (`cacheDir`) writable, point it elsewhere, or leave `cacheDir` unset to disable the cache.',
      cause: options.cause,
    });
  }
}
