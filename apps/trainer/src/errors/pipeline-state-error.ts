import { UmdError } from '@umd/core';

/** `<out>/pipeline.json` exists but cannot be read as a pipeline state. */
export class PipelineStateError extends UmdError {
  constructor(
    readonly file: string,
    problem: string,
    options: { cause?: unknown } = {},
  ) {
    super({
      name: 'UMD_PipelineStateError',
      message: `${file} ${problem}. Delete it (or choose another --out) to start the run over.`,
      cause: options.cause,
    });
  }
}
