import { UmdError } from './umd-error.js';

/** Who holds a run folder's lock, as it recorded itself when it took the lock. */
export interface RunFolderLockHolder {
  readonly pid: number;
  readonly host: string;
  /** ISO time the lock was taken. */
  readonly startedAt: string;
  /** The holder's command line. */
  readonly command: string;
}

/** Another live run holds the lock of an output folder: two runs writing into one folder would corrupt both. */
export class RunFolderLockedError extends UmdError {
  constructor(
    readonly dir: string,
    readonly holder: RunFolderLockHolder | undefined,
  ) {
    const who = holder
      ? `pid ${holder.pid} on ${holder.host}, running since ${holder.startedAt} (${holder.command})`
      : 'a run that has not recorded who it is yet';
    super({
      name: 'UMD_RunFolderLockedError',
      message: `${dir} is locked by another run: ${who}. Wait for it to finish, stop it, or give this run another output folder.`,
    });
  }
}
