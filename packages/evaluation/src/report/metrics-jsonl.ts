import { EvaluationInputError } from '../errors/evaluation-input-error.js';

/** One line of a `metrics.jsonl` file: `{ step, total, lr, ms, <term>… }` from training, or any JSON object. */
export type MetricsRecord = Readonly<Record<string, unknown>>;

/** Options of {@link readMetricsJsonl}. */
export interface ReadMetricsJsonlOptions {
  /**
   * What to do with a line that is not a JSON object: `'throw'` (default), or `'skip'` (e.g. a last line cut short
   * by a run that was killed while writing it).
   */
  readonly onInvalidLine?: 'throw' | 'skip';
}

/**
 * Parses JSON Lines text (one JSON object per line, as training writes `metrics.jsonl`). Blank lines and `\r\n`
 * endings are accepted.
 *
 * @throws {EvaluationInputError} `text` is not a string, or a line is not a JSON object (names the 1-based line number)
 */
export function readMetricsJsonl(text: string, options: ReadMetricsJsonlOptions = {}): MetricsRecord[] {
  if (typeof text !== 'string') throw new EvaluationInputError('text', 'the text of a JSON Lines file', text);
  const onInvalidLine = options.onInvalidLine ?? 'throw';
  if (onInvalidLine !== 'throw' && onInvalidLine !== 'skip') throw new EvaluationInputError('options.onInvalidLine', "'throw' or 'skip'", onInvalidLine);
  const records: MetricsRecord[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    let parsed: unknown;
    let cause: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      cause = error;
    }
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      records.push(parsed as MetricsRecord);
    } else if (onInvalidLine === 'throw') {
      throw new EvaluationInputError(`text (line ${index + 1})`, 'one JSON object per line', line, {
        cause,
        hint: "Pass { onInvalidLine: 'skip' } to ignore such lines (e.g. a line cut short by a killed run).",
      });
    }
  });
  return records;
}

/**
 * The `[x, y]` points of one metric over records, for {@link lineChartSvg}: records where both `x` and `key` are
 * finite numbers (others, e.g. a term logged only every N steps, are skipped).
 *
 * @param key the metric, e.g. `'total'` or `'mim'`
 * @param x the x field (default `'step'`)
 */
export function metricSeries(records: readonly MetricsRecord[], key: string, x = 'step'): [number, number][] {
  const points: [number, number][] = [];
  for (const record of records) {
    const xValue = record[x];
    const yValue = record[key];
    if (typeof xValue === 'number' && Number.isFinite(xValue) && typeof yValue === 'number' && Number.isFinite(yValue)) points.push([xValue, yValue]);
  }
  return points;
}
