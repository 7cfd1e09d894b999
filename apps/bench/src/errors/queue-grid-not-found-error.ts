import { UmdError } from '@umd/core';

/** The queue holds no grid: nothing was enqueued there (or it was cleared). */
export class QueueGridNotFoundError extends UmdError {
  constructor(readonly queue: string) {
    super({
      name: 'UMD_QueueGridNotFoundError',
      message: `The queue ${queue} holds no grid. Enqueue one first: umd-bench paper … --queue <url> --out <shared folder>.`,
    });
  }
}
