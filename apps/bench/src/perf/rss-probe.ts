/**
 * Preloaded (`node --import`) into each performance workload's child process: every JSON object line the workload
 * prints with `console.log` gets `peakRssMiB`, the process's peak resident set size so far
 * (`process.resourceUsage().maxRSS`, KiB on Linux and macOS). Workloads run one after another in a script, so a line's
 * value bounds its own workload's peak from above. Other output passes through unchanged.
 */
const log = console.log.bind(console);

console.log = (...values: unknown[]): void => {
  const [first] = values;
  if (values.length === 1 && typeof first === 'string' && first.startsWith('{')) {
    try {
      const line = JSON.parse(first) as unknown;
      if (typeof line === 'object' && line !== null && !Array.isArray(line)) {
        log(JSON.stringify({ ...line, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 102.4) / 10 }));
        return;
      }
    } catch {
      // not JSON: print as it is
    }
  }
  log(...values);
};

export {};
