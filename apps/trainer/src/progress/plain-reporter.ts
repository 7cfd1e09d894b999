import { formatDuration, formatFields, type ProgressReporter } from './progress-reporter.js';

/** Options of {@link createPlainReporter}. */
export interface PlainReporterOptions {
  /** Receives each line (without a newline). */
  readonly write: (line: string) => void;
  /** A progress line at least every this many units. Default: a tenth of the phase (at least 1). */
  readonly every?: number;
  /** …or when this many milliseconds passed since the last one. Default 10,000. */
  readonly intervalMs?: number;
  /** @internal test seam */
  readonly _internal?: { readonly now?: () => number };
}

/**
 * Progress as plain log lines, for CI logs and redirected output: `[finetune] 40/155 (26%) | loss 1.203 | ETA 1m12s`,
 * one every `every` units or `intervalMs`, and always at the last unit. The ETA is this session's mean time per
 * unit times the units left.
 */
export function createPlainReporter(options: PlainReporterOptions): ProgressReporter {
  const now = options._internal?.now ?? (() => performance.now());
  const intervalMs = options.intervalMs ?? 10_000;
  let label = '';
  let total = 0;
  let startAt = 0;
  let every = 1;
  let startedMs = 0;
  let lastValue = 0;
  let lastMs = 0;
  return {
    begin(name, units, from = 0) {
      label = name;
      total = units;
      startAt = from;
      every = options.every ?? Math.max(1, Math.round(units / 10));
      startedMs = now();
      lastValue = from;
      lastMs = startedMs;
      options.write(`[${label}] start${from > 0 ? ` at ${from}` : ''} of ${total}`);
    },
    update(value, fields) {
      const time = now();
      if (!(value - lastValue >= every || time - lastMs >= intervalMs || value >= total)) return;
      lastValue = value;
      lastMs = time;
      const done = value - startAt;
      const eta = done > 0 ? ((time - startedMs) / done) * (total - value) : Number.NaN;
      const percent = total > 0 ? ` (${Math.floor((100 * value) / total)}%)` : '';
      const extra = formatFields(fields);
      options.write(`[${label}] ${value}/${total}${percent}${extra ? ` | ${extra}` : ''} | ETA ${formatDuration(eta)}`);
    },
    log(line) {
      options.write(line);
    },
    end() {
      if (label !== '') options.write(`[${label}] done in ${formatDuration(now() - startedMs)}`);
      label = '';
    },
  };
}
