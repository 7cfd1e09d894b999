import { UmdError } from '@umd/core';

/** A performance workload's child process failed (non-zero exit or no result lines). */
export class PerfWorkloadError extends UmdError {
  constructor(
    readonly packageName: string,
    readonly script: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
  ) {
    super({
      name: 'UMD_PerfWorkloadError',
      message:
        `${packageName} workload ${script} failed (exit ${exitCode ?? 'signal'}). ` +
        `Run it alone with 'npx tsx --conditions=@umd/source ${script}' to see why. Last output: ${stderrTail || '(none)'}`,
    });
  }
}
