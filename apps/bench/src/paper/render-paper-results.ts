import { formatInterval, markdownTable } from '@umd/evaluation';

import type { PaperResults, ResultRow, SeedSummary, TaskResults } from './paper-results.js';

const taskTitles: Readonly<Record<string, string>> = {
  'vqa-rad': 'VQA-RAD (MEVF split)',
  slake: 'SLAKE 1.0 English',
  'medpix-retrieval': 'MedPix 2.0 image-text retrieval',
  'medpix-classification': 'MedPix 2.0 location-category classification',
};

/** Options of {@link renderPaperResults}. */
export interface RenderPaperResultsOptions {
  /**
   * Default true. False leaves out what depends on when and where units ran — the generation time, wall times, the
   * `wall / seed` and `wall` columns — so that two runs of one grid (in one process, or over a queue's workers) render
   * the same bytes when their numbers agree.
   */
  readonly timings?: boolean;
}

/**
 * `results.md`: a header saying what was run (and, for a smoke profile, that the numbers are not results), one table
 * per task (rows: the ablation ladder, the floors computed here, the published and orientation numbers labelled as
 * such; cells: mean ± 95% CI over seeds in %), and the shared units with their times.
 */
export function renderPaperResults(results: PaperResults, options: RenderPaperResultsOptions = {}): string {
  const timings = options.timings ?? true;
  const lines: string[] = [`# UMD-TS paper benchmark: ${results.profile.name} profile, ${results.split} split`, ''];
  if (results.profile.smoke) {
    lines.push(
      `> **A smoke test of the protocol, not results.** ${results.profile.summary}. These numbers only show that every cell runs end to end; ` +
        'they must not be compared with each other or with published numbers.',
      '',
    );
  } else {
    lines.push(`> ${results.profile.summary}.`, '');
  }
  const minutes = (results.unitSeconds / 60).toFixed(1);
  lines.push(
    `- data: ${results.data}; seeds: ${results.seeds.join(', ')} (${results.seeds.length} per cell)${timings ? `; generated ${results.generatedAt}` : ''}`,
    `- progress: ${results.unitsDone} of ${results.unitsTotal} units done${timings ? `; ${minutes} min of unit wall time over all sessions` : ''}`,
    '- cells: mean ± 95% CI over seeds, in % (Student t; "(n = 1)" means one seed, so no interval). Each seed\'s model is selected on the ' +
      'validation split only; `selection` is that validation metric. The test split is evaluated once per selected model.',
    '- rows: the ablation ladder (each step adds to the one above), then floors computed here that never look at an image (or use no model), ' +
      "then _italic rows measured elsewhere_: M3AE's published numbers (GPU, large pre-training, CLIP/RoBERTa initialisation) and the " +
      'orientation numbers of DESIGN.md, printed beside ours for scale, not as comparisons.',
    '',
  );
  for (const task of results.tasks) lines.push(...renderTask(task, timings), '');
  lines.push(
    '## Shared units',
    '',
    'One pre-training per MR variant serves every task and seed; one calibration per (pre-training, task) serves every seed.',
    '',
  );
  lines.push(
    markdownTable(
      ['unit', 'status', 'detail', ...(timings ? ['wall'] : [])],
      results.shared.map((unit) => [unit.id, unit.status, unit.detail, ...(timings ? [formatSeconds(unit.seconds)] : [])]),
    ),
  );
  return lines.join('\n');
}

function renderTask(task: TaskResults, timings: boolean): string[] {
  const title = `## ${taskTitles[task.task] ?? task.task}: ${task.split} split`;
  const where = task.availability.available
    ? `Split file: \`${task.availability.file}\`${task.availability.note ? ` (${task.availability.note})` : ''}.`
    : `**${task.availability.reason}**: our rows have no ${task.split} numbers.`;
  const headers = [
    'row',
    ...task.columns.map((column) => column.header),
    `Δ ${task.columns[0]!.header} vs the row it adds to (paired)`,
    'selection (validation)',
    'seeds',
    ...(timings ? ['wall / seed'] : []),
    'note',
  ];
  const rows = task.rows.map((row) => {
    const label = row.kind === 'reference' ? `_${row.label}_` : row.label;
    const cells = task.columns.map((column) => formatCell(row.cells[column.key] ?? null));
    const selection = row.selection ? formatSummary(row.selection) : '–';
    const seeds = row.kind === 'model' && row.seedsAsked !== undefined ? `${row.seedsDone ?? 0}/${row.seedsAsked}` : '–';
    const wall = row.secondsPerSeed === undefined ? '–' : formatSeconds(row.secondsPerSeed);
    const note = noteOf(row, task);
    return [label, ...cells, formatPaired(row), selection, seeds, ...(timings ? [wall] : []), note];
  });
  return [
    title,
    '',
    where,
    '',
    markdownTable(headers, rows, {
      align: ['left', ...task.columns.map(() => 'right' as const), 'right', 'right', 'right', ...(timings ? (['right'] as const) : []), 'left'],
    }),
  ];
}

/** `+2.1 ± 1.3 vs scratch`: the mean paired difference in points with its 95% CI half-width (or `(n = 1)`). */
function formatPaired(row: ResultRow): string {
  if (!row.paired) return '–';
  const { difference, against } = row.paired;
  const mean = 100 * difference.mean;
  const spread = difference.n > 1 ? ` ± ${(100 * difference.halfWidth).toFixed(1)}` : ' (n = 1)';
  return `${mean >= 0 ? '+' : '−'}${Math.abs(mean).toFixed(1)}${spread} vs ${against}`;
}

function noteOf(row: ResultRow, task: TaskResults): string {
  if (row.kind === 'reference') return row.note ?? '';
  if (row.note === undefined || (!task.availability.available && row.note === task.availability.reason)) return '';
  return row.note;
}

function formatCell(cell: SeedSummary | number | null): string {
  if (cell === null) return '–';
  if (typeof cell === 'number') return Number.isFinite(cell) ? (100 * cell).toFixed(1) : '–';
  return formatSummary(cell);
}

function formatSummary(summary: SeedSummary): string {
  return formatInterval({ estimate: summary.mean, low: summary.low, high: summary.high, n: summary.n, halfWidth: summary.halfWidth }, 1, { scale: 100 });
}

/** `75` -> `1m15s`; `3.2` -> `3s`; `4000` -> `1h06m`. */
export function formatSeconds(seconds: number): string {
  const total = Math.round(seconds);
  if (total < 60) return `${total}s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes}m${String(total % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
