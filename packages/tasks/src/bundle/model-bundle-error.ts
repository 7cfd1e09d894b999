import { UmdError } from '@umd/core';

/** Why a model bundle cannot be written or used. */
export type ModelBundleProblem = 'missing-file' | 'checksum' | 'format' | 'not-empty' | 'unsupported-task' | 'input';

/** A model bundle folder is incomplete, damaged, of another format, or was given input it cannot answer. */
export class ModelBundleError extends UmdError {
  constructor(
    /** The bundle folder, or the file at fault in it. */
    readonly path: string,
    readonly problem: ModelBundleProblem,
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super({ name: 'UMD_ModelBundleError', message: `${path}: ${detail}`, cause: options.cause });
  }
}
