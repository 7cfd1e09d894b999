import { InvalidConfigError } from '@umd/core';
import { describe, expect, it } from 'vitest';

import { QueueConnectionError } from '../errors/queue-connection-error.js';
import { readQueuedGrid } from './queued-grid.js';
import { parseQueueTarget } from './queue-target.js';

describe('parseQueueTarget', () => {
  it('takes redis:// and rediss:// URLs with a database number, and hides a password in messages', () => {
    expect(parseQueueTarget('redis://127.0.0.1:6379/2')).toEqual({
      url: 'redis://127.0.0.1:6379/2',
      display: 'redis://127.0.0.1:6379/2 (queue umd-bench)',
      name: 'umd-bench',
    });
    expect(parseQueueTarget('rediss://user:secret@redis.example:6380').display).toBe('rediss://user:***@redis.example:6380 (queue umd-bench)');
  });

  it('refuses anything else, naming --queue and the expected form', () => {
    for (const url of ['localhost:6379', 'http://127.0.0.1:6379', 'redis://127.0.0.1:6379/db1', 'redis://']) {
      expect(() => parseQueueTarget(url), url).toThrow(InvalidConfigError);
      expect(() => parseQueueTarget(url), url).toThrow(/--queue.*redis:\/\/HOST:PORT\[\/DB\]/);
    }
  });

  it('says plainly when no Redis server answers', async () => {
    const target = parseQueueTarget('redis://127.0.0.1:1/0');
    await expect(readQueuedGrid(target)).rejects.toThrow(QueueConnectionError);
    await expect(readQueuedGrid(target)).rejects.toThrow(/Cannot reach the queue's Redis server at redis:\/\/127\.0\.0\.1:1\/0.*ECONNREFUSED/);
  }, 30_000);
});
