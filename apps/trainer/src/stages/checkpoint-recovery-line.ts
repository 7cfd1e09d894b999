import type { TrainEvent } from '@umd/core';

/**
 * The line a stage prints when a resume had to recover: a damaged or unusable newest checkpoint set aside (the file
 * is renamed, never deleted), or temp files of a checkpoint write killed midway removed. Undefined for other events.
 */
export function checkpointRecoveryLine(stage: string, event: { readonly type: string }): string | undefined {
  const recovery = event as TrainEvent;
  if (recovery.type === 'checkpoint-set-aside') {
    return `[${stage}] set aside ${recovery.path} as ${recovery.movedTo}: ${recovery.reason}; resuming from the newest usable checkpoint before it`;
  }
  if (recovery.type === 'temp-files-remove') {
    return `[${stage}] removed ${recovery.paths.length} temp file(s) of a checkpoint write that was killed midway: ${recovery.paths.join(', ')}`;
  }
  return undefined;
}
