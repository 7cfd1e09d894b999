/** Options every workload script understands in some form. */
export interface PerfOptions {
  /** Fewer timed runs and the slow workloads left out (about 3 minutes instead of 10). */
  readonly quick: boolean;
  /** Also run core's PyTorch reference (`--reference`: needs python3 with torch). */
  readonly reference: boolean;
  /** tfjs backend for the workloads (`--backend` where the script takes it, `UMD_BACKEND` for all). Default: each script's. */
  readonly backend?: string;
  /** Only these workloads (`--only` where the script takes it; the other scripts' records are filtered). Default: all. */
  readonly only?: readonly string[];
}

/** One package's performance script, run in its own child process. */
export interface PerfScript {
  readonly packageName: string;
  /** Relative to the repository root. */
  readonly script: string;
  /**
   * The compiled script inside the published package (relative to its folder), run with plain `node` when there is
   * no checkout; absent when the workloads need the package's internals (a checkout only).
   */
  readonly installed?: string;
  /** Command-line arguments for the options. */
  readonly args: (options: PerfOptions) => string[];
  /** Extra environment for the options. */
  readonly env?: (options: PerfOptions) => Record<string, string>;
}

const backendArgs = (options: PerfOptions): string[] => (options.backend ? ['--backend', options.backend] : []);
const onlyArgs = (options: PerfOptions, quick: readonly string[]): string[] =>
  options.only ? ['--only', options.only.join(',')] : options.quick ? ['--only', quick.join(',')] : [];

/**
 * The performance workloads of the packages (each script prints one JSON line per workload). From a checkout every
 * script runs from source; from the published packages (no checkout) the compiled scripts of encoders, mr-pretrain and
 * data run, and core's (which swaps the package's internal kernels, A/B) is skipped with a line saying so:
 * - `@umd/core` `bench/run.ts`: matMul 1024³ (plain and transposeB), attention-shaped batched matMul, a transformer
 *   block's training step (with and without the matMul-gradient fix), embedding backward over 30,522 words;
 * - `@umd/encoders` `bench/run.ts`: forward and training step of the `tiny` and `small` presets, an MR pre-training proxy;
 * - `@umd/mr-pretrain` `bench/run.ts`: one `mrPretrainStep` (full and data level) at batch 32;
 * - `@umd/data` `bench/run.ts`: image decode/resize/cache throughput and tokenizer throughput (no tfjs).
 */
export const perfScripts: readonly PerfScript[] = [
  {
    packageName: '@umd/core',
    script: 'packages/core/bench/run.ts',
    args: (options) => [
      '--runs',
      options.quick ? '3' : '10',
      ...onlyArgs(options, ['matmul-1024', 'attention-matmul', 'block-train', 'embedding-train']),
      ...(options.reference ? ['--reference'] : []),
      ...backendArgs(options),
    ],
  },
  {
    packageName: '@umd/encoders',
    script: 'packages/encoders/bench/run.ts',
    installed: 'dist/bench/run.js',
    args: (options) => [
      '--runs',
      options.quick ? '2' : '5',
      ...onlyArgs(options, ['tiny-forward', 'tiny-train', 'tiny-pretrain-proxy']),
      ...backendArgs(options),
    ],
  },
  {
    packageName: '@umd/mr-pretrain',
    script: 'packages/mr-pretrain/bench/run.ts',
    installed: 'dist/bench/run.js',
    args: (options) => ['--runs', options.quick ? '2' : '5'],
  },
  {
    packageName: '@umd/data',
    script: 'packages/data/bench/run.ts',
    installed: 'dist/bench/run.js',
    args: () => [],
    env: (options) => ({ BENCH_RUNS: options.quick ? '1' : '3', BENCH_IMAGES: options.quick ? '100' : '500' }),
  },
];
