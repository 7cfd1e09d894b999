import { formatInterval, meanInterval } from '@umd/evaluation';
import { describe, expect, it } from 'vitest';

import type { BenchState, EvaluateUnitResult, TuneUnitResult, UnitRecord } from './bench-state.js';
import { evaluateUnitId, expandPaperGrid } from './paper-grid.js';
import { paperProfiles } from './paper-profiles.js';
import { buildPaperResults, type PaperResultsInput, type SeedSummary } from './paper-results.js';
import { renderPaperResults } from './render-paper-results.js';

const plan = expandPaperGrid({ seeds: 2, tasks: ['vqa-rad', 'medpix-retrieval'], variants: ['scratch', 'mr-full'] });

/** A state where every vqa-rad cell is tuned and evaluated on test with the given overall accuracies per seed. */
function stateWith(overall: Readonly<Record<string, readonly number[]>>): BenchState {
  const units: Record<string, UnitRecord> = {
    'pretrain/full': { status: 'complete', seconds: 600, updatedAt: 'now', result: { checkpoint: 'x', steps: 30, plannedSteps: 30, stoppedBy: 'steps' } },
  };
  for (const unit of plan.tunings.filter((tuning) => tuning.task === 'vqa-rad')) {
    const value = overall[unit.row]?.[unit.seed];
    if (value === undefined) continue;
    const tune: TuneUnitResult = {
      checkpoint: 'c',
      start: 'scratch',
      steps: 10,
      best: { step: 10, epoch: 1, metric: value - 0.05 },
      medianStepMs: 400,
      trainSamples: 320,
      validationSamples: 200,
    };
    units[unit.id] = { status: 'complete', seconds: 30, updatedAt: 'now', result: tune };
    const evaluation: EvaluateUnitResult = {
      split: 'test',
      samples: 451,
      metrics: { overall: { value }, open: { value: value - 0.2 }, closed: { value: value + 0.1 } },
      floor: { name: 'majority', value: 0.4 },
    };
    units[evaluateUnitId(unit, 'test')] = { status: 'complete', seconds: 10, updatedAt: 'now', result: evaluation };
  }
  return {
    formatVersion: 1,
    grid: { profile: paperProfiles.quick, tasks: plan.tasks, rows: plan.rows, seeds: plan.seeds, data: '/data' },
    startedAt: 'then',
    units,
  };
}

function input(state: BenchState): PaperResultsInput {
  return {
    plan,
    state,
    profile: paperProfiles.quick,
    split: 'test',
    data: '/data',
    availability: {
      'vqa-rad': { available: true, file: '/data/vqa-rad/testset.json' },
      'medpix-retrieval': { available: false, reason: 'n/a (no test split at /data/medpix-2.0/splitted_dataset/descriptions_test.jsonl)' },
    },
    floors: {
      'vqa-rad': [{ name: 'majority', label: 'floor: question-only majority (no model, computed here)', metrics: { overall: 0.42, open: 0.1, closed: 0.6 } }],
    },
    now: () => new Date('2026-11-27T00:00:00Z'),
  };
}

describe('buildPaperResults and renderPaperResults', () => {
  const state = stateWith({ scratch: [0.5, 0.6], 'mr-full': [0.7], 'text-only': [0.45, 0.55] });
  const results = buildPaperResults(input(state));
  const vqa = results.tasks.find((task) => task.task === 'vqa-rad')!;

  it('summarises each row over its finished seeds with a 95% interval', () => {
    const scratch = vqa.rows.find((row) => row.id === 'scratch')!;
    const overall = scratch.cells['overall'] as SeedSummary;
    const expected = meanInterval([0.5, 0.6]);
    expect(overall.mean).toBeCloseTo(expected.estimate, 12);
    expect(overall.halfWidth).toBeCloseTo(expected.halfWidth, 12);
    expect(overall.values).toEqual([0.5, 0.6]);
    expect(scratch.seedsDone).toBe(2);
    expect(scratch.secondsPerSeed).toBe(40);
    expect((scratch.selection as SeedSummary).mean).toBeCloseTo(0.5, 12);
    const full = vqa.rows.find((row) => row.id === 'mr-full')!;
    expect(full.seedsDone).toBe(1);
    expect(full.note).toBe('1 of 2 seeds not run yet');
  });

  it('pairs each ladder row with the row it adds to, seed by seed, over the seeds both have', () => {
    const textOnly = vqa.rows.find((row) => row.id === 'text-only')!;
    expect(textOnly.paired?.against).toBe('scratch');
    expect(textOnly.paired?.metric).toBe('overall');
    expect(textOnly.paired?.difference.values.map((value) => Math.round(1000 * value) / 1000)).toEqual([-0.05, -0.05]);
    expect(vqa.rows.find((row) => row.id === 'scratch')!.paired).toBeUndefined(); // the bottom of the ladder
    expect(vqa.rows.find((row) => row.id === 'mr-full')!.paired).toBeUndefined(); // its neighbour (mr-data) is not in this grid
    const uneven = buildPaperResults(input(stateWith({ scratch: [0.5, 0.6], 'text-only': [0.3] }))).tasks[0]!.rows.find((row) => row.id === 'text-only')!;
    expect(uneven.paired?.difference.n).toBe(1); // seed 0 only
    expect(uneven.paired?.difference.mean).toBeCloseTo(-0.2, 12);
    expect(renderPaperResults(results)).toMatch(/\| +−5\.0 ± 0\.0 vs scratch \|/);
  });

  it('prints cells as mean ± CI in %, floors and labelled published anchors beside the rows', () => {
    const markdown = renderPaperResults(results);
    const expected = meanInterval([0.5, 0.6]);
    expect(markdown).toContain(formatInterval({ ...expected }, 1, { scale: 100 }));
    expect(markdown).toContain('70.0 (n = 1)');
    expect(markdown).toMatch(/\| floor: question-only majority \(no model, computed here\) +\| +42\.0 \|/);
    expect(markdown).toMatch(/\| _M3AE \(published, GPU, large pre-training\) \[test split\]_ +\| +77\.0 \| +67\.2 \| +83\.5 \|/);
    expect(markdown).toContain('orientation: tf-idf 5-NN over training questions');
    expect(markdown).toContain('A smoke test of the protocol, not results.');
    const referenceRows = vqa.rows.filter((row) => row.kind === 'reference').map((row) => row.id);
    expect(referenceRows).toEqual(['m3ae', 'orientation']);
  });

  it('reports an absent split instead of numbers, and not-applicable cells with their reason', () => {
    const retrieval = results.tasks.find((task) => task.task === 'medpix-retrieval')!;
    expect(retrieval.availability.available).toBe(false);
    expect(retrieval.rows.filter((row) => row.kind === 'model').every((row) => Object.values(row.cells).every((cell) => cell === null))).toBe(true);
    expect(retrieval.rows.some((row) => row.kind === 'floor')).toBe(false);
    expect(retrieval.rows.some((row) => row.id === 'm3ae')).toBe(false);
    const textOnly = retrieval.rows.find((row) => row.id === 'text-only')!;
    expect(textOnly.note).toMatch(/caption-only model cannot rank images/);
    const markdown = renderPaperResults(results);
    expect(markdown).toContain('**n/a (no test split at /data/medpix-2.0/splitted_dataset/descriptions_test.jsonl)**');
  });

  it('counts units and reports shared units with their times', () => {
    expect(results.shared.map((unit) => [unit.id, unit.status])).toEqual([['pretrain/full', 'complete']]);
    // 1 pre-training + 6 vqa-rad cells + 4 retrieval cells tuned, + 6 vqa-rad evaluations; done: 1 + 5 tuned + 5 evaluated.
    expect(results.unitsTotal).toBe(1 + 10 + 6);
    expect(results.unitsDone).toBe(11);
    expect(renderPaperResults(results)).toContain('| pretrain/full | complete | 30 of 30 steps (full) | 10m00s |');
  });

  it('shows a failed seed in the note, first line of its error only', () => {
    const error = 'UMD_CheckpointMismatchError: best.safetensors does not match (2 problems):\n  - unexpected heads.a\n  - unexpected heads.b';
    const failed: BenchState = {
      ...state,
      units: { ...state.units, 'tune/vqa-rad/mr-full/seed-1': { status: 'failed', seconds: 1, updatedAt: 'now', error } },
    };
    const row = buildPaperResults(input(failed)).tasks[0]!.rows.find((entry) => entry.id === 'mr-full')!;
    expect(row.note).toBe('seed 1 failed: UMD_CheckpointMismatchError: best.safetensors does not match (2 problems):');
  });
});
