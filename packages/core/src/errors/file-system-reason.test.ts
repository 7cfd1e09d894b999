import { describe, expect, it } from 'vitest';

import { fileSystemReason } from './file-system-reason.js';

describe('fileSystemReason', () => {
  it('puts the causes a user can act on in words, with the code', () => {
    const error = (code: string) => Object.assign(new Error(`${code}: raw message`), { code });
    expect(fileSystemReason(error('EROFS'))).toBe('the file system is read-only (EROFS)');
    expect(fileSystemReason(error('EACCES'))).toBe('permission denied (EACCES)');
    expect(fileSystemReason(error('ENOSPC'))).toBe('no space left on the device (ENOSPC)');
    expect(fileSystemReason(error('EDQUOT'))).toBe('the disk quota is exhausted (EDQUOT)');
    expect(fileSystemReason(error('EIO'))).toBe('EIO: raw message'); // others keep Node's message
  });
});
