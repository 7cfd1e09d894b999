import { InvalidConfigError } from './errors/invalid-config-error.js';
import type { Coordination } from './types.js';

/** One modality's columns in a {@link CoefficientTraceJson}, one entry per recorded update. */
export interface ModalityTraceJson {
  readonly coefficient: readonly number[];
  readonly ratio: readonly number[];
  readonly signal: readonly number[];
  readonly status: readonly number[];
}

/** The columnar, plain-JSON form of a trace: ready for `JSON.stringify`, a plotting library or pandas. */
export interface CoefficientTraceJson {
  readonly modalities: readonly string[];
  readonly step: readonly number[];
  readonly active: readonly boolean[];
  readonly byModality: Readonly<Record<string, ModalityTraceJson>>;
}

/**
 * Records coordinator updates (step, window, and per modality: coefficient, ratio, raw signal, smoothed status) as
 * plain arrays, for logging and plotting. Holds numbers only; `clear()` empties it, `every` thins it.
 *
 * ```ts
 * const trace = new CoefficientTrace(['text', 'vision']);
 * trace.record(coordinator.update(signals));
 * await writeFile('coefficients.csv', trace.toCSV());
 * ```
 */
export class CoefficientTrace {
  readonly modalities: readonly string[];
  private readonly every: number;
  private seen = 0;
  private readonly steps: number[] = [];
  private readonly actives: boolean[] = [];
  private readonly columns: Record<string, { coefficient: number[]; ratio: number[]; signal: number[]; status: number[] }> = {};

  /**
   * @param modalities the coordinator's modalities (their order is the CSV column order)
   * @param options.every record one update in `every` (default 1: all), to bound memory on long runs
   */
  constructor(modalities: readonly string[], options: { readonly every?: number } = {}) {
    const every = options.every ?? 1;
    if (!Number.isInteger(every) || every < 1) throw new InvalidConfigError('every', options.every, 'an integer ≥ 1 (default 1)');
    this.modalities = Object.freeze([...modalities]);
    this.every = every;
    for (const name of modalities) this.columns[name] = { coefficient: [], ratio: [], signal: [], status: [] };
  }

  /** Number of recorded rows. */
  get length(): number {
    return this.steps.length;
  }

  /** Appends one update (or skips it, per `every`). Modalities missing from the update are recorded as NaN. */
  record(coordination: Coordination): void {
    this.seen += 1;
    if ((this.seen - 1) % this.every !== 0) return;
    this.steps.push(coordination.step);
    this.actives.push(coordination.active);
    for (const name of this.modalities) {
      const column = this.columns[name];
      if (column === undefined) continue;
      column.coefficient.push(coordination.coefficients[name] ?? Number.NaN);
      column.ratio.push(coordination.ratios[name] ?? Number.NaN);
      column.signal.push(coordination.signals[name] ?? Number.NaN);
      column.status.push(coordination.status[name] ?? Number.NaN);
    }
  }

  /** Columnar copy of the trace. */
  toJSON(): CoefficientTraceJson {
    return {
      modalities: this.modalities,
      step: [...this.steps],
      active: [...this.actives],
      byModality: Object.fromEntries(
        this.modalities.map((name) => {
          const column = this.columns[name] ?? { coefficient: [], ratio: [], signal: [], status: [] };
          return [name, { coefficient: [...column.coefficient], ratio: [...column.ratio], signal: [...column.signal], status: [...column.status] }];
        }),
      ),
    };
  }

  /**
   * One header line and one row per recorded update:
   * `step,active,<m>.coefficient,<m>.ratio,<m>.signal,<m>.status,…` in modality order, `\n` line ends.
   */
  toCSV(): string {
    const fields = ['coefficient', 'ratio', 'signal', 'status'] as const;
    const header = ['step', 'active', ...this.modalities.flatMap((name) => fields.map((field) => csvCell(`${name}.${field}`)))];
    const rows = this.steps.map((step, i) => [
      String(step),
      String(this.actives[i]),
      ...this.modalities.flatMap((name) => fields.map((field) => String(this.columns[name]?.[field][i] ?? Number.NaN))),
    ]);
    return [header, ...rows].map((row) => row.join(',')).join('\n') + '\n';
  }

  /** Drops every recorded row. */
  clear(): void {
    this.seen = 0;
    this.steps.length = 0;
    this.actives.length = 0;
    for (const column of Object.values(this.columns)) {
      column.coefficient.length = 0;
      column.ratio.length = 0;
      column.signal.length = 0;
      column.status.length = 0;
    }
  }
}

function csvCell(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
