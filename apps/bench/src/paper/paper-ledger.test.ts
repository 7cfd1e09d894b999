import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { parseLedger, renderLedgerMarkdown } from '@umd/evaluation';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { BenchStateError } from '../errors/bench-state-error.js';
import { withUnit, writeBenchState, type BenchState, type UnitRecord } from './bench-state.js';
import { appendPaperLedger, paperLedgerRecords } from './paper-ledger.js';
import { paperProfiles } from './paper-profiles.js';

const ran = { commit: 'abc123', machine: 'Test CPU (2 cores), wasm', command: 'umd-bench paper --profile quick --out /b' };
const fallback = { commit: 'def456+dirty', machine: 'Import CPU (2 cores), backend not recorded' };
const metric = (value: number) => ({ value, low: value - 0.05, high: value + 0.05 });
const floor = { name: 'majority', value: 0.3 };

function unit(seconds: number, result: unknown, provenance?: typeof ran): UnitRecord {
  return { status: 'complete', seconds, updatedAt: '2026-12-06T12:00:00.000Z', result, ...(provenance ? { provenance } : {}) };
}

/** A quick-profile VQA-RAD grid: scratch seeds 0 and 1 (seed 1 without provenance), MR full + TD-Calib seed 0, one running tuning. */
function state(): BenchState {
  let s: BenchState = {
    formatVersion: 1,
    grid: { profile: paperProfiles.quick, tasks: ['vqa-rad'], rows: ['scratch', 'mr-full+td-calib'], seeds: [0, 1], data: '/data' },
    startedAt: '2026-12-06T10:00:00.000Z',
    units: {},
  };
  const tune = (steps: number, epoch: number) => ({
    checkpoint: 'c',
    start: 'scratch',
    steps,
    best: { step: 1, epoch, metric: 0.7 },
    medianStepMs: 1,
    trainSamples: 9,
    validationSamples: 3,
  });
  const evaluation = (split: string, overall: number) => ({
    split,
    samples: 3,
    metrics: { overall: metric(overall), open: metric(0.5), closed: metric(0.81234) },
    floor,
  });
  s = withUnit(s, 'pretrain/full', unit(600, { checkpoint: 'p', steps: 10, plannedSteps: 10, stoppedBy: 'steps' }, ran));
  s = withUnit(s, 'calibrate/full/vqa-rad', unit(90, { checkpoint: 'q', steps: 2, lossBefore: 2, lossAfter: 1 }, ran));
  s = withUnit(s, 'tune/vqa-rad/scratch/seed-0', unit(120, tune(50, 3), ran));
  s = withUnit(s, 'evaluate/vqa-rad/scratch/seed-0/validate', unit(6, evaluation('validate', 0.70212), ran));
  s = withUnit(s, 'evaluate/vqa-rad/scratch/seed-0/test', unit(6, evaluation('test', 0.6)));
  s = withUnit(s, 'tune/vqa-rad/scratch/seed-1', unit(180, tune(50, 4)));
  s = withUnit(s, 'evaluate/vqa-rad/scratch/seed-1/validate', unit(12, evaluation('validate', 0.68)));
  s = withUnit(s, 'tune/vqa-rad/mr-full+td-calib/seed-0', unit(120, tune(50, 2), ran));
  s = withUnit(s, 'evaluate/vqa-rad/mr-full+td-calib/seed-0/validate', unit(6, evaluation('validate', 0.66), ran));
  s = withUnit(s, 'tune/vqa-rad/mr-full+td-calib/seed-1', { status: 'running', seconds: 30, updatedAt: 'now' });
  return s;
}

describe('paperLedgerRecords', () => {
  it('makes one ledger record per complete evaluation, with the run’s own commit, machine and command', () => {
    const records = paperLedgerRecords(state(), { fallback, outDir: '/b' });
    expect(records.map((record) => [record.experiment, record.split, record.seed])).toEqual([
      ['umd-bench paper --profile quick: scratch', 'validate', 0],
      ['umd-bench paper --profile quick: scratch', 'test', 0],
      ['umd-bench paper --profile quick: scratch', 'validate', 1],
      ['umd-bench paper --profile quick: mr-full+td-calib', 'validate', 0],
    ]);
    const [first, test, unrecorded, calibrated] = records;
    expect(first).toMatchObject({ dataset: 'vqa-rad', metrics: { overall: 70.2, open: 50, closed: 81.2 }, ...ran, wallMinutes: 126 / 60 });
    expect(first!.note).toBe('row scratch: scratch (no pre-training); tune/vqa-rad/scratch/seed-0: 50 steps, selected at epoch 4 on validation');
    // The test evaluation has no provenance of its own: its tuning run's stands for it.
    expect(test).toMatchObject({ commit: ran.commit, machine: ran.machine });
    // Units completed before provenance was kept say so, with the importing process's fields.
    expect(unrecorded).toMatchObject({
      commit: fallback.commit,
      command: 'umd-bench paper --data /data --profile quick --out /b --split validate --tasks vqa-rad --seeds 0,1',
    });
    expect(unrecorded!.note).toMatch(/before units kept their provenance/);
    expect(calibrated!.note).toMatch(/starts from pretrain\/full \(10\.0 min.*starts from calibrate\/full\/vqa-rad \(1\.5 min/);
    // The ledger renders them (every required field present and finite).
    expect(renderLedgerMarkdown(records)).toMatch(/quick: scratch +\| validate +\| 69\.1/);
  });

  it('takes another experiment prefix', () => {
    const [record] = paperLedgerRecords(state(), { fallback, outDir: '/b', experimentPrefix: 'bench (question carve)' });
    expect(record!.experiment).toBe('bench (question carve): scratch');
  });
});

describe('appendPaperLedger', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'umd-paper-ledger-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('appends only what the ledger does not hold yet, so importing again adds nothing', async () => {
    await writeBenchState(dir, state());
    const ledger = path.join(dir, 'docs', 'ledger.jsonl');
    const first = await appendPaperLedger(dir, ledger, { fallback });
    expect([first.added.length, first.present]).toEqual([4, 0]);
    const again = await appendPaperLedger(dir, ledger, { fallback });
    expect([again.added.length, again.present]).toEqual([0, 4]);
    expect(parseLedger(await readFile(ledger, 'utf8'), ledger)).toHaveLength(4);
  });

  it('refuses a folder without a benchmark state, and a malformed ledger, before writing anything', async () => {
    await expect(appendPaperLedger(dir, path.join(dir, 'l.jsonl'), { fallback })).rejects.toThrow(BenchStateError);
    await writeBenchState(dir, state());
    const ledger = path.join(dir, 'l.jsonl');
    await writeFile(ledger, '{"experiment": 1}\n');
    await expect(appendPaperLedger(dir, ledger, { fallback })).rejects.toThrow(/l\.jsonl:1/);
    expect(await readFile(ledger, 'utf8')).toBe('{"experiment": 1}\n');
  });
});
