import { setTimeout as sleep } from 'node:timers/promises';

import type { ProgressReporter } from '@umd/trainer';
import { describe, expect, it } from 'vitest';

import { unitScopedReporter } from './unit-scoped-reporter.js';

describe('unitScopedReporter', () => {
  it('keeps one phase per concurrently running unit, across awaits, and prefixes its lines with the unit', async () => {
    const lines: string[] = [];
    const base: ProgressReporter = { begin: () => lines.push('base begin'), update: () => undefined, log: (line) => lines.push(line), end: () => undefined };
    const { reporter, run } = unitScopedReporter(base);
    const unit = async (total: number, pause: number): Promise<void> => {
      reporter.begin('finetune', total);
      for (let step = 1; step <= total; step++) {
        await sleep(pause);
        reporter.update(step, { loss: String(step) });
      }
      reporter.end();
    };
    await Promise.all([run('a', () => unit(3, 2)), run('b', () => unit(5, 1))]);
    reporter.log('outside any unit');
    expect(lines.filter((line) => line.startsWith('a '))).toEqual([
      'a [finetune] start of 3',
      expect.stringMatching(/^a \[finetune\] 1\/3 \(33%\) \| loss 1 \| ETA /),
      expect.stringMatching(/^a \[finetune\] 2\/3 \(66%\) \| loss 2 \| ETA /),
      expect.stringMatching(/^a \[finetune\] 3\/3 \(100%\) \| loss 3 \| ETA /),
      expect.stringMatching(/^a \[finetune\] done in /),
    ]);
    // b's phase is its own: 5 steps of 5, never another unit's total.
    expect(lines.filter((line) => line.startsWith('b [finetune] ') && line.includes('/'))).toHaveLength(5);
    expect(lines.every((line) => !line.includes('/3') || line.startsWith('a '))).toBe(true);
    expect(lines.at(-1)).toBe('outside any unit');
    expect(lines).not.toContain('base begin');
  });
});
