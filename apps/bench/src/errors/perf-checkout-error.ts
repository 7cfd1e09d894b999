import { UmdError } from '@umd/core';

/**
 * `umd-bench perf` was run without a UMD-TS checkout to run: the workload scripts (each package's `bench/run.ts`) and
 * `tsx` live in the repository, not in the published packages.
 */
export class PerfCheckoutError extends UmdError {
  constructor(
    readonly repoRoot: string,
    readonly missing: readonly string[],
  ) {
    super({
      name: 'UMD_PerfCheckoutError',
      message:
        `umd-bench perf runs the workload scripts of a UMD-TS checkout, and ${repoRoot} is not one with its dependencies ` +
        `installed (missing: ${missing.join(', ')}). Clone the repository, run \`pnpm install\` there, and pass its ` +
        'folder with --repo DIR (or run `pnpm bench` inside it).',
    });
  }
}
