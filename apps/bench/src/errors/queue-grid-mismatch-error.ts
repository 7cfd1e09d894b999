import { UmdError } from '@umd/core';

/**
 * The queue already holds a grid with other settings (or another output folder): one queue runs one grid, as one
 * output folder holds one. Lists every difference (`grid.seeds: [0,1,2] -> [0]`).
 */
export class QueueGridMismatchError extends UmdError {
  constructor(
    readonly queue: string,
    readonly differences: readonly string[],
  ) {
    super({
      name: 'UMD_QueueGridMismatchError',
      message:
        `The queue ${queue} holds another grid (${differences.length} difference${differences.length === 1 ? '' : 's'}: ${differences.join('; ')}). ` +
        'Enqueue it with the same options to continue it, or use another Redis database for this grid (redis://HOST:PORT/DB).',
    });
  }
}
