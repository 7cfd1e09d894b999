import { describe, expect, it } from 'vitest';

import { createPlainReporter } from './plain-reporter.js';
import { formatDuration } from './progress-reporter.js';

describe('createPlainReporter', () => {
  it('prints a line every `every` units and at the end, with an ETA from the mean time per unit', () => {
    const lines: string[] = [];
    let now = 0;
    const reporter = createPlainReporter({ write: (line) => lines.push(line), every: 5, intervalMs: 60_000, _internal: { now: () => now } });
    reporter.begin('finetune', 20);
    for (let step = 1; step <= 20; step++) {
      now += 1000; // 1 s per step
      reporter.update(step, { loss: (1 / step).toFixed(2) });
    }
    reporter.end();
    expect(lines).toEqual([
      '[finetune] start of 20',
      '[finetune] 5/20 (25%) | loss 0.20 | ETA 15s',
      '[finetune] 10/20 (50%) | loss 0.10 | ETA 10s',
      '[finetune] 15/20 (75%) | loss 0.07 | ETA 5s',
      '[finetune] 20/20 (100%) | loss 0.05 | ETA 0s',
      '[finetune] done in 20s',
    ]);
  });

  it('also prints when the interval has passed, and counts a resumed phase from its start', () => {
    const lines: string[] = [];
    let now = 0;
    const reporter = createPlainReporter({ write: (line) => lines.push(line), every: 100, intervalMs: 10_000, _internal: { now: () => now } });
    reporter.begin('pretrain', 1000, 900);
    now = 4000;
    reporter.update(901);
    now = 12_000;
    reporter.update(902);
    expect(lines).toEqual(['[pretrain] start at 900 of 1000', '[pretrain] 902/1000 (90%) | ETA 9m48s']);
  });
});

describe('formatDuration', () => {
  it('writes seconds, minutes and hours', () => {
    expect([formatDuration(4000), formatDuration(95_000), formatDuration(3_720_000), formatDuration(Number.NaN)]).toEqual(['4s', '1m35s', '1h02m', '?']);
  });
});
