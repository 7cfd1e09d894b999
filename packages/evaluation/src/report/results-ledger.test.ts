import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { EvaluationInputError } from '../errors/evaluation-input-error.js';
import {
  ledgerHeadlineMarkers,
  ledgerLine,
  ledgerRows,
  parseLedger,
  renderLedgerHeadline,
  renderLedgerMarkdown,
  renderLedgerRuns,
  replaceLedgerHeadline,
  type LedgerRecord,
} from './results-ledger.js';

const appendLedgerRecord = (file: string, record: LedgerRecord): void => {
  const line = ledgerLine(record);
  mkdirSync(path.dirname(file), { recursive: true });
  appendFileSync(file, line);
};
const readLedger = (file: string): LedgerRecord[] => parseLedger(readFileSync(file, 'utf8'), file);

const base: LedgerRecord = {
  experiment: 'vqa-rad/stem',
  dataset: 'vqa-rad',
  split: 'validate',
  seed: 1,
  metrics: { overall: 50, open: 20, closed: 70 },
  command: 'pnpm --filter @umd/tasks finetune --dataset vqa-rad --seed 1',
  config: 'flags',
  commit: 'abcdef0123456789+dirty',
  date: '2026-12-06T03:00:00.000Z',
  wallMinutes: 4,
  machine: 'test CPU (2 cores), wasm',
};

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

describe('results ledger', () => {
  it('appends, reads back and groups runs by experiment with a t-interval over seeds', () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'ledger-'));
    folders.push(folder);
    const file = path.join(folder, 'nested', 'ledger.jsonl');
    appendLedgerRecord(file, base);
    appendLedgerRecord(file, { ...base, seed: 2, metrics: { overall: 52, open: 22, closed: 72 } });
    appendLedgerRecord(file, { ...base, seed: 3, metrics: { overall: 54, open: 24, closed: 74 } });
    appendLedgerRecord(file, { ...base, experiment: 'vqa-rad/blind', metrics: { overall: 40, open: 10, closed: 60 } });
    const records = readLedger(file);
    expect(records).toHaveLength(4);
    const rows = ledgerRows(records);
    expect(rows.map((row) => row.experiment)).toEqual(['vqa-rad/stem', 'vqa-rad/blind']);
    // [50, 52, 54]: mean 52, s = 2, t(0.975, 2) = 4.3027 → half-width 4.97
    expect(rows[0]!.cells['overall']).toBe('52.0 ± 5.0');
    expect(rows[1]!.cells['overall']).toBe('40.0 (n = 1)');
    const page = renderLedgerMarkdown(records, { source: 'docs/results/ledger.jsonl' });
    expect(page).toMatch(/\| vqa-rad\/stem +\| validate +\| 52.0 ± 5.0/);
    expect(page).toContain('1, 2, 3');
    expect(page).toContain('abcdef0+dirty');
    expect(page).toContain('command: `pnpm --filter @umd/tasks finetune --dataset vqa-rad --seed 1`');
    expect(renderLedgerMarkdown(records, { source: 'x' })).toBe(renderLedgerMarkdown(readLedger(file), { source: 'x' }));
  });

  it('moves the runs to one page per dataset when given a link for each', () => {
    const records = [base, { ...base, seed: 2 }, { ...base, experiment: 'slake/stem', dataset: 'slake', command: 'umd-train run --config configs/slake.yaml' }];
    const page = renderLedgerMarkdown(records, { source: 'results/ledger.jsonl', runsLink: (dataset) => `results/${dataset}.md` });
    expect(page).not.toContain('## Runs');
    expect(page).not.toContain('command:');
    expect(page).toContain('[results/vqa-rad.md](results/vqa-rad.md)');
    expect(page).toContain('[results/slake.md](results/slake.md)');
    expect(page).toMatch(/\| vqa-rad\/stem +\| validate +\| 50.0 ± 0.0/);
    const runs = renderLedgerRuns(records, 'vqa-rad', { source: 'ledger.jsonl' });
    expect(runs).toMatch(/^# Runs: vqa-rad\n/);
    expect(runs).toContain('command: `pnpm --filter @umd/tasks finetune --dataset vqa-rad --seed 1`');
    expect(runs.match(/^- seed /gm)).toHaveLength(2);
    expect(runs).not.toContain('configs/slake.yaml');
    expect(renderLedgerRuns(records, 'slake')).toContain('configs/slake.yaml');
  });

  it('names the file and line of a bad record, and refuses incomplete records', () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'ledger-'));
    folders.push(folder);
    const file = path.join(folder, 'ledger.jsonl');
    writeFileSync(file, `${JSON.stringify(base)}\n\n{not json\n`);
    expect(() => readLedger(file)).toThrow(`${file}:3`);
    writeFileSync(file, `${JSON.stringify({ ...base, commit: '' })}\n`);
    expect(() => readLedger(file)).toThrow(/commit/);
    expect(() => appendLedgerRecord(file, { ...base, metrics: { overall: Number.NaN } })).toThrow(EvaluationInputError);
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('renders the headline from runs of committed configs only (no probes, the latest recipe of each config), and replaces it between the markers', () => {
    const records = [
      { ...base, experiment: 'vqa-rad: configs/vqa-rad.yaml (an earlier recipe)', split: 'test', date: '2026-12-05T03:00:00.000Z', metrics: { overall: 11 } },
      { ...base, experiment: 'vqa-rad: configs/vqa-rad.yaml', split: 'test' },
      { ...base, experiment: 'vqa-rad: configs/vqa-rad.yaml', split: 'test', seed: 2, metrics: { overall: 54, open: 24, closed: 74 } },
      { ...base, experiment: 'slake: configs/vqa-rad.yaml (another dataset, same file name)', dataset: 'slake', date: '2026-12-04T03:00:00.000Z' },
      { ...base, experiment: 'exploration/stem' },
      { ...base, experiment: 'vqa-rad: configs/ablations/vqa-rad-dropout.yaml (probe)' },
    ];
    const headline = renderLedgerHeadline(records, { source: 'docs/results/ledger.jsonl' });
    expect(headline).toMatch(/\| vqa-rad +\| configs\/vqa-rad\.yaml +\| test +\| 52\.0 ± 25\.4/);
    expect(headline).not.toContain('exploration');
    expect(headline).not.toContain('an earlier recipe'); // superseded by a later experiment of the same config
    expect(headline).toContain('another dataset, same file name');
    expect(headline).not.toContain('probe'); // probes are in the full results page only
    const readme = `# x\n${ledgerHeadlineMarkers.start}\nold\n${ledgerHeadlineMarkers.end}\nrest\n`;
    const replaced = replaceLedgerHeadline(readme, headline);
    expect(replaced).toContain(headline);
    expect(replaced).not.toContain('old');
    expect(replaced.endsWith(`${ledgerHeadlineMarkers.end}\nrest\n`)).toBe(true);
    expect(replaceLedgerHeadline(replaced, headline)).toBe(replaced);
    expect(() => replaceLedgerHeadline('no markers', headline)).toThrow(EvaluationInputError);
  });
});
