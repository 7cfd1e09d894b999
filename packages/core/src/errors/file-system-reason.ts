const reasons: Readonly<Record<string, string>> = {
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a file of that name is in the way',
};

/** A file system error in words, with its code: `the file system is read-only (EROFS)`. */
export function fileSystemReason(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  return code && reasons[code] ? `${reasons[code]} (${code})` : message;
}
