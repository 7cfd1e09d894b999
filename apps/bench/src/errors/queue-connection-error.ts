import { UmdError } from '@umd/core';

/** The queue's Redis server cannot be reached (not running, wrong host or port, refused credentials). */
export class QueueConnectionError extends UmdError {
  constructor(
    readonly queue: string,
    readonly reason: string,
    options: { cause?: unknown } = {},
  ) {
    super({
      name: 'UMD_QueueConnectionError',
      message: `Cannot reach the queue's Redis server at ${queue}: ${reason}. Is redis-server running there, and is the URL (host, port, database, password) right?`,
      cause: options.cause,
    });
  }
}
