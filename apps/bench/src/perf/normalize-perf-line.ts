/** One performance figure in the common shape `umd-bench perf` prints (one JSON line each). */
export interface PerfRecord {
  readonly package: string;
  readonly workload: string;
  /**
   * Median time of one unit of the workload, in ms: a training step or a call (tfjs workloads, after warm-up, with a
   * read-back), one image or one text (data workloads: 1000 / rate).
   */
  readonly ms: number | null;
  /** Samples (batch entries, texts) per second, where the workload has a batch. */
  readonly samplesPerSecond?: number;
  /** Images per second (data workloads). */
  readonly imagesPerSecond?: number;
  /** Peak RSS of the workload's process when it printed the line (it bounds this workload's own peak); null: not measured. */
  readonly peakRssMiB: number | null;
  /** tfjs backend (`wasm`, …), `pytorch` for the reference, `sharp` / `js` for data workloads; null when not said. */
  readonly backend: string | null;
  readonly threads: number | null;
  /** The script's other fields (p90, runs, shapes, GFLOP/s, …). */
  readonly details: Readonly<Record<string, unknown>>;
}

/** What earlier lines of the same script said about the run (the data bench's `environment` line). */
export interface PerfLineContext {
  sharpThreads?: number;
}

const number = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const round = (value: number, digits = 1): number => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * Turns one JSON line of a package's bench script into a {@link PerfRecord}: tfjs workloads (`{ workload, ms_median,
 * batch?, backend, threads? }`), the PyTorch reference (`impl: 'pytorch'`), the data bench (`{ bench, imagesPerSecond
 * | textsPerSecond, … }`). Returns undefined for lines that carry no figure (the data bench's `environment` line,
 * which fills `context`).
 */
export function normalizePerfLine(packageName: string, line: Readonly<Record<string, unknown>>, context: PerfLineContext = {}): PerfRecord | undefined {
  const peakRssMiB = number(line['peakRssMiB']) ?? null;
  const used = new Set(['peakRssMiB']);
  const take = (key: string): unknown => {
    used.add(key);
    return line[key];
  };
  const details = (): Record<string, unknown> => Object.fromEntries(Object.entries(line).filter(([key]) => !used.has(key)));

  const bench = take('bench');
  if (typeof bench === 'string') {
    if (bench === 'environment') {
      context.sharpThreads = number(line['sharpConcurrency']);
      return undefined;
    }
    const images = number(take('imagesPerSecond'));
    const texts = number(take('textsPerSecond'));
    const rate = images ?? texts;
    const size = number(line['size']);
    const channels = number(line['channels']);
    const concurrency = number(line['concurrency']);
    const cache = typeof line['cache'] === 'string' ? (line['cache'] as string) : undefined;
    const parts = [
      bench,
      ...(size === undefined ? [] : [`${size}px`]),
      ...(channels === undefined ? [] : [channels === 1 ? 'grey' : 'rgb']),
      ...(concurrency === undefined ? [] : [`c${concurrency}`]),
      ...(cache === undefined ? [] : [cache.startsWith('memory') ? 'memory' : cache.includes('fresh') ? 'disk-fresh' : 'disk']),
    ];
    return {
      package: packageName,
      workload: parts.join('-'),
      ms: rate === undefined || rate === 0 ? null : round(1000 / rate, 3),
      ...(texts === undefined ? {} : { samplesPerSecond: texts }),
      ...(images === undefined ? {} : { imagesPerSecond: images }),
      peakRssMiB,
      backend: images === undefined ? 'js' : 'sharp',
      threads: images === undefined ? 1 : (context.sharpThreads ?? null),
      details: details(),
    };
  }

  const workload = take('workload');
  if (typeof workload !== 'string') return undefined;
  const ms = number(take('ms_median')) ?? number(take('ms')) ?? null;
  const pytorch = line['impl'] === 'pytorch';
  const config = typeof line['config'] === 'string' ? `-${take('config') as string}` : '';
  const batch = number(line['batch']);
  const backend = pytorch ? 'pytorch' : typeof take('backend') === 'string' ? (line['backend'] as string) : null;
  return {
    package: packageName,
    workload: `${workload}${config}${pytorch ? '-pytorch' : ''}`,
    ms,
    ...(batch !== undefined && ms !== null && ms > 0 ? { samplesPerSecond: round((1000 * batch) / ms) } : {}),
    peakRssMiB: pytorch ? null : peakRssMiB, // the reference runs in its own python process
    backend,
    threads: number(take('threads')) ?? null,
    details: details(),
  };
}
