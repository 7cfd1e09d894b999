import { ledgerLine, parseLedger } from '@umd/evaluation';
import { describe, expect, it } from 'vitest';

import { pipelineConfigSchema } from '../config/pipeline-config-schema.js';
import type { EvaluateResult } from '../stages/run-evaluate-stage.js';
import { ledgerRecords } from './ledger-records.js';

describe('ledgerRecords', () => {
  it('gives one valid ledger record per evaluated split, metrics in percent', () => {
    const config = pipelineConfigSchema.parse({ name: 'x', seed: 2, data: { dataset: 'vqa-rad' } });
    const floor = { kind: 'majority', metrics: {} } as unknown as EvaluateResult['splits'][number]['floor'];
    const evaluation: EvaluateResult = {
      task: 'vqa',
      checkpoint: 'finetune/best.safetensors',
      notes: [],
      splits: [
        {
          split: 'validate',
          samples: 10,
          metrics: { overall: { value: 0.7234, low: 0.6, high: 0.8 }, open: { value: 0.5 }, closed: { value: 0.9 } },
          floor,
          predictions: 'p',
        },
        { split: 'test', samples: 10, metrics: { overall: { value: 0.58 }, open: { value: 0.3 }, closed: { value: 0.75 } }, floor, predictions: 'q' },
      ],
    };
    const provenance = {
      experiment: 'e',
      command: 'umd-train run',
      config: 'vqa-rad',
      commit: 'abc',
      machine: 'm',
      wallMinutes: 3,
      date: '2026-12-06T00:00:00Z',
    };
    const records = ledgerRecords(config, evaluation, provenance);
    expect(records.map((record) => [record.split, record.seed, record.dataset, record.metrics['overall']])).toEqual([
      ['validate', 2, 'vqa-rad', 72.3],
      ['test', 2, 'vqa-rad', 58],
    ]);
    expect(parseLedger(records.map(ledgerLine).join(''), 'mem')).toEqual(records);
  });
});
