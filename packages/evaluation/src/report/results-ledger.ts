import { EvaluationInputError } from '../errors/evaluation-input-error.js';
import { meanInterval } from '../statistics/mean-interval.js';
import { formatInterval } from './format-interval.js';
import { markdownTable } from './markdown-table.js';

/**
 * One run's numbers, as one line of a results ledger (JSON lines). Runs of one experiment (same settings, other
 * seeds) share `experiment`; the ledger page groups them and prints mean ± 95% t-interval over seeds.
 */
export interface LedgerRecord {
  /** Experiment name: the runs of one setting over seeds share it (e.g. `vqa-rad/stem-mnv2/lr3e-4`). */
  readonly experiment: string;
  /** Dataset and task, e.g. `vqa-rad`. */
  readonly dataset: string;
  /** Which split the metrics are on: `validate` (model selection) or `test` (scored once per selected model). */
  readonly split: string;
  readonly seed: number;
  /** Metric name → value in percent (e.g. `overall`, `open`, `closed`, `accuracy`). */
  readonly metrics: Readonly<Record<string, number>>;
  /** The exact command that produced the run. */
  readonly command: string;
  /** Config file (path in the repository) or a compact description of the settings. */
  readonly config: string;
  /** `git rev-parse HEAD`, with `+dirty` when the tree had uncommitted changes. */
  readonly commit: string;
  /** ISO time the run ended. */
  readonly date: string;
  readonly wallMinutes: number;
  /** e.g. `AMD EPYC 9R14 (2 cores, avx512), wasm + OpenBLAS`. */
  readonly machine: string;
  /** Free text: what the run tests, or what went wrong. */
  readonly note?: string;
}

const requiredStrings = ['experiment', 'dataset', 'split', 'command', 'config', 'commit', 'date', 'machine'] as const;

/**
 * One record as a ledger line (JSON and a newline), checked first. Appending it to the ledger file is the caller's
 * (this package stays free of file IO outside `writeReportFiles`): `appendFileSync(file, ledgerLine(record))`.
 *
 * @throws {EvaluationInputError} a record with a missing field or a non-finite metric
 */
export function ledgerLine(record: LedgerRecord): string {
  checkRecord(record, 'record');
  return `${JSON.stringify(record)}\n`;
}

/**
 * Parses a ledger's text (JSON lines; blank lines skipped).
 *
 * @param file the ledger's name, for error messages
 * @throws {EvaluationInputError} naming the file and line of a record that does not parse or lacks a field
 */
export function parseLedger(text: string, file: string): LedgerRecord[] {
  const lines = text.split('\n');
  const records: LedgerRecord[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${file}:${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new EvaluationInputError(where, 'one JSON object per line', `${(error as Error).message}`);
    }
    checkRecord(value as LedgerRecord, where);
    records.push(value as LedgerRecord);
  });
  return records;
}

/** One experiment on one split: its runs and the mean ± 95% t-interval of each metric over seeds. */
export interface LedgerRow {
  readonly experiment: string;
  readonly dataset: string;
  readonly split: string;
  readonly records: readonly LedgerRecord[];
  /** Metric → formatted `mean ± half-width` (or `value (n = 1)`). */
  readonly cells: Readonly<Record<string, string>>;
}

/** Groups records by (experiment, dataset, split) in the order they first appear. */
export function ledgerRows(records: readonly LedgerRecord[]): LedgerRow[] {
  const groups = new Map<string, LedgerRecord[]>();
  for (const record of records) {
    const key = JSON.stringify([record.experiment, record.dataset, record.split]);
    const group = groups.get(key) ?? [];
    group.push(record);
    groups.set(key, group);
  }
  return [...groups.values()].map((group) => {
    const first = group[0]!;
    const names = [...new Set(group.flatMap((record) => Object.keys(record.metrics)))];
    const cells: Record<string, string> = {};
    for (const name of names) {
      const values = group.map((record) => record.metrics[name]).filter((value): value is number => value !== undefined);
      cells[name] = formatInterval(meanInterval(values), 1);
    }
    return { experiment: first.experiment, dataset: first.dataset, split: first.split, records: group, cells };
  });
}

/** Options of {@link renderLedgerMarkdown}. */
export interface LedgerPageOptions {
  readonly title?: string;
  /** How the page names the ledger file (a path relative to the page). */
  readonly source?: string;
  /**
   * Where each dataset's runs live, as a link from the page (e.g. `results/vqa-rad.md`, rendered by
   * {@link renderLedgerRuns}). With it the page holds only the tables and links there; without it, every run follows.
   */
  readonly runsLink?: (dataset: string) => string;
}

/**
 * The ledger page: per dataset, a table of experiments (mean ± 95% t-interval over seeds, seeds, wall time per run,
 * commit), then every run with its command, config, machine and note, or with `runsLink` a link to the dataset's runs
 * page. Deterministic for a given file.
 */
export function renderLedgerMarkdown(records: readonly LedgerRecord[], options: LedgerPageOptions = {}): string {
  const rows = ledgerRows(records);
  const out: string[] = [`# ${options.title ?? 'Results ledger'}`, ''];
  out.push(
    `Generated from \`${options.source ?? 'the ledger file'}\` (one JSON line per run); do not edit by hand. Cells: mean ± 95% ` +
      't-interval over seeds (`(n = 1)`: one seed). Percentages. Models are selected on validation only; test rows are the ' +
      'selected models scored once.',
    '',
  );
  const datasets = [...new Set(rows.map((row) => row.dataset))];
  for (const dataset of datasets) {
    const own = rows.filter((row) => row.dataset === dataset);
    const metricNames = [...new Set(own.flatMap((row) => Object.keys(row.cells)))];
    out.push(`## ${dataset}`, '');
    if (options.runsLink) out.push(`Every run with its command, config, machine and note: [${options.runsLink(dataset)}](${options.runsLink(dataset)}).`, '');
    out.push(
      markdownTable(
        ['experiment', 'split', ...metricNames, 'seeds', 'min/run', 'commit'],
        own.map((row) => [
          row.experiment,
          row.split,
          ...metricNames.map((name) => row.cells[name] ?? ''),
          row.records.map((record) => record.seed).join(', '),
          (row.records.reduce((sum, record) => sum + record.wallMinutes, 0) / row.records.length).toFixed(1),
          [...new Set(row.records.map((record) => record.commit.slice(0, 7) + (record.commit.endsWith('+dirty') ? '+dirty' : '')))].join(', '),
        ]),
      ),
      '',
    );
  }
  if (!options.runsLink) out.push('## Runs', '', ...runLines(rows));
  return `${out.join('\n').trimEnd()}\n`;
}

/** The runs page of one dataset: every run of its experiments with its command, config, machine and note. */
export function renderLedgerRuns(records: readonly LedgerRecord[], dataset: string, options: { readonly source?: string } = {}): string {
  const rows = ledgerRows(records).filter((row) => row.dataset === dataset);
  const out = [
    `# Runs: ${dataset}`,
    '',
    `Generated from \`${options.source ?? 'the ledger file'}\` (one JSON line per run); do not edit by hand. The tables: the results ledger page.`,
    '',
    ...runLines(rows),
  ];
  return `${out.join('\n').trimEnd()}\n`;
}

function runLines(rows: readonly LedgerRow[]): string[] {
  const out: string[] = [];
  for (const row of rows) {
    out.push(`### ${row.experiment} (${row.dataset}, ${row.split})`, '');
    for (const record of row.records) {
      const metrics = Object.entries(record.metrics)
        .map(([name, value]) => `${name} ${value.toFixed(1)}`)
        .join(', ');
      out.push(
        `- seed ${record.seed}, ${record.date}, ${record.wallMinutes.toFixed(1)} min, ${record.machine}, commit \`${record.commit}\`: ${metrics}`,
        `  - config: ${record.config}`,
        `  - command: \`${record.command}\``,
        ...(record.note ? [`  - note: ${record.note}`] : []),
      );
    }
    out.push('');
  }
  return out;
}

/** Markers around the headline table in a Markdown file (e.g. the root README); the text between them is replaced. */
export const ledgerHeadlineMarkers = { start: '<!-- ledger-headline:start -->', end: '<!-- ledger-headline:end -->' } as const;

/**
 * The headline table: the experiments named `<dataset>: configs/…` (runs of committed configs), one row per
 * experiment and split, each metric as mean ± 95% t-interval over seeds. Of the experiments of one config file
 * (`<dataset>: configs/x.yaml (what changed)`), only the latest (by its last run's date) is shown: the config's current
 * recipe; earlier recipes and probes (`… (probe…)`: one-seed checks on validation) stay in the full results page only.
 */
export function renderLedgerHeadline(records: readonly LedgerRecord[], options: { readonly source?: string } = {}): string {
  const committed = ledgerRows(records).filter((row) => /^[^:]+: configs\//.test(row.experiment) && !/\(probe\b/.test(row.experiment));
  const configOf = (row: LedgerRow): string => `${row.dataset} ${row.experiment.replace(/ \(.*$/s, '')}`;
  const lastRun = (row: LedgerRow): string => row.records.reduce((latest, record) => (record.date > latest ? record.date : latest), '');
  const latest = new Map<string, { experiment: string; date: string }>();
  for (const row of committed) {
    const seen = latest.get(configOf(row));
    if (!seen || lastRun(row) > seen.date) latest.set(configOf(row), { experiment: row.experiment, date: lastRun(row) });
  }
  const rows = committed.filter((row) => latest.get(configOf(row))!.experiment === row.experiment);
  if (rows.length === 0) return `_No runs of committed configs in the ledger yet._\n`;
  const metricNames = [...new Set(rows.flatMap((row) => Object.keys(row.cells)))];
  const table = markdownTable(
    ['dataset', 'config', 'split', ...metricNames, 'seeds'],
    rows.map((row) => [
      row.dataset,
      row.experiment.slice(row.experiment.indexOf(':') + 2),
      row.split,
      ...metricNames.map((name) => row.cells[name] ?? ''),
      String(row.records.length),
    ]),
  );
  return `${table.trimEnd()}\n\nMean ± 95% t-interval over seeds, percent; generated from \`${options.source ?? 'the ledger'}\` (every run, its command and commit: [docs/results.md](docs/results.md)).\n`;
}

/**
 * `text` with the part between {@link ledgerHeadlineMarkers} replaced by `headline`.
 *
 * @throws {EvaluationInputError} when the markers are missing or out of order
 */
export function replaceLedgerHeadline(text: string, headline: string): string {
  const start = text.indexOf(ledgerHeadlineMarkers.start);
  const end = text.indexOf(ledgerHeadlineMarkers.end);
  if (start < 0 || end < start) throw new EvaluationInputError('text', `the markers ${ledgerHeadlineMarkers.start} … ${ledgerHeadlineMarkers.end}`, 'missing');
  return `${text.slice(0, start + ledgerHeadlineMarkers.start.length)}\n${headline}${text.slice(end)}`;
}

function checkRecord(record: LedgerRecord, where: string): void {
  if (typeof record !== 'object' || record === null) throw new EvaluationInputError(where, 'a ledger record object', record);
  for (const key of requiredStrings) {
    if (typeof record[key] !== 'string' || record[key] === '') throw new EvaluationInputError(`${where}.${key}`, 'a non-empty string', record[key]);
  }
  if (!Number.isInteger(record.seed)) throw new EvaluationInputError(`${where}.seed`, 'an integer', record.seed);
  if (!(typeof record.wallMinutes === 'number' && Number.isFinite(record.wallMinutes))) {
    throw new EvaluationInputError(`${where}.wallMinutes`, 'a finite number', record.wallMinutes);
  }
  if (typeof record.metrics !== 'object' || record.metrics === null || Object.keys(record.metrics).length === 0) {
    throw new EvaluationInputError(`${where}.metrics`, 'at least one metric', record.metrics);
  }
  for (const [name, value] of Object.entries(record.metrics)) {
    if (!(typeof value === 'number' && Number.isFinite(value))) throw new EvaluationInputError(`${where}.metrics.${name}`, 'a finite number', value);
  }
}
