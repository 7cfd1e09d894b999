import { InvalidConfigError } from '@umd/core';
import { describe, expect, it } from 'vitest';

import { evaluateUnitId, expandPaperGrid, paperTasks, paperVariants } from './paper-grid.js';

describe('expandPaperGrid', () => {
  it('runs one pre-training per MR variant and one calibration per task, shared by every seed and row', () => {
    const plan = expandPaperGrid({ seeds: 3 });
    expect(plan.pretrainings.map((unit) => unit.id)).toEqual(['pretrain/data-level', 'pretrain/full']);
    expect(plan.calibrations.map((unit) => unit.id)).toEqual(paperTasks.map((task) => `calibrate/full/${task}`));
    // 4 tasks × (5 variants + the text-only model) − 2 retrieval cells that do not apply, × 3 seeds.
    expect(plan.tunings).toHaveLength((4 * 6 - 2) * 3);
    expect(plan.seeds).toEqual([0, 1, 2]);
    const tdCalib = plan.tunings.filter((unit) => unit.row === 'mr-full+td-calib+gm-coord' && unit.task === 'slake');
    expect(tdCalib.map((unit) => [unit.pretrain, unit.calibrate])).toEqual(Array(3).fill(['pretrain/full', 'calibrate/full/slake']));
    const scratch = plan.tunings.find((unit) => unit.row === 'scratch');
    expect(scratch?.pretrain).toBeUndefined();
    expect(scratch?.calibrate).toBeUndefined();
    expect(new Set(plan.tunings.map((unit) => unit.id)).size).toBe(plan.tunings.length);
  });

  it('marks GM-Coord and the caption-only model as not applicable to retrieval', () => {
    const plan = expandPaperGrid({ seeds: 1 });
    expect(plan.skipped.map((cell) => `${cell.task}/${cell.row}`)).toEqual(['medpix-retrieval/mr-full+td-calib+gm-coord', 'medpix-retrieval/text-only']);
    expect(plan.tunings.some((unit) => unit.task === 'medpix-retrieval' && unit.row === 'mr-full+td-calib')).toBe(true);
  });

  it('plans only the shared units the chosen rows need, in table order whatever the order asked', () => {
    const plan = expandPaperGrid({ seeds: 1, tasks: ['medpix-classification', 'vqa-rad'], variants: ['mr-data', 'scratch'], floors: false });
    expect(plan.tasks).toEqual(['vqa-rad', 'medpix-classification']);
    expect(plan.rows).toEqual(['scratch', 'mr-data']);
    expect(plan.pretrainings.map((unit) => unit.id)).toEqual(['pretrain/data-level']);
    expect(plan.calibrations).toEqual([]);
    expect(plan.tunings.map((unit) => unit.id)).toEqual([
      'tune/vqa-rad/scratch/seed-0',
      'tune/vqa-rad/mr-data/seed-0',
      'tune/medpix-classification/scratch/seed-0',
      'tune/medpix-classification/mr-data/seed-0',
    ]);
    const retrievalOnly = expandPaperGrid({ seeds: 1, tasks: ['medpix-retrieval'], variants: ['mr-full+td-calib+gm-coord'], floors: false });
    expect(retrievalOnly.pretrainings).toEqual([]);
    expect(retrievalOnly.tunings).toEqual([]);
  });

  it('names evaluation units by split', () => {
    const [unit] = expandPaperGrid({ seeds: 1, baseSeed: 4, tasks: ['slake'], variants: ['scratch'] }).tunings;
    expect(evaluateUnitId(unit!, 'test')).toBe('evaluate/slake/scratch/seed-4/test');
  });

  it('rejects unknown or repeated tasks and variants, and bad seed counts', () => {
    expect(() => expandPaperGrid({ seeds: 1, tasks: ['vqa-med' as never] })).toThrow(InvalidConfigError);
    expect(() => expandPaperGrid({ seeds: 1, tasks: ['slake', 'slake'] })).toThrow(/each at most once/);
    expect(() => expandPaperGrid({ seeds: 1, variants: [] })).toThrow(/one or more of scratch/);
    expect(() => expandPaperGrid({ seeds: 0 })).toThrow(/'seeds': 0/);
    expect(() => expandPaperGrid({ seeds: 1.5 })).toThrow(InvalidConfigError);
    expect(paperVariants).toHaveLength(5);
  });
});
