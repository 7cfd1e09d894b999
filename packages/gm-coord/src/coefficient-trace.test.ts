import { describe, expect, it } from 'vitest';

import { CoefficientTrace } from './coefficient-trace.js';
import { createCoordinator } from './coordinator.js';

describe('CoefficientTrace', () => {
  const run = (trace: CoefficientTrace, updates: number): void => {
    const coordinator = createCoordinator({ modalities: ['text', 'vision'], strategy: { kind: 'ogm-ge', alpha: 1 }, warmupSteps: 1 });
    for (let i = 0; i < updates; i++) trace.record(coordinator.update({ text: { score: 30 }, vision: { score: 10 } }));
  };

  it('records per-step, per-modality columns as plain JSON', () => {
    const trace = new CoefficientTrace(['text', 'vision']);
    run(trace, 2);
    const json = JSON.parse(JSON.stringify(trace));
    expect(json.step).toEqual([0, 1]);
    expect(json.active).toEqual([false, true]);
    expect(json.byModality.text.coefficient).toEqual([1, 1 - Math.tanh(2)]);
    expect(json.byModality.text.ratio).toEqual([3, 3]);
    expect(json.byModality.vision).toEqual({ coefficient: [1, 1], ratio: [1 / 3, 1 / 3], signal: [10, 10], status: [10, 10] });
  });

  it('writes CSV with one header and one row per update', () => {
    const trace = new CoefficientTrace(['text', 'vision']);
    run(trace, 2);
    const lines = trace.toCSV().trimEnd().split('\n');
    expect(lines[0]).toBe('step,active,text.coefficient,text.ratio,text.signal,text.status,vision.coefficient,vision.ratio,vision.signal,vision.status');
    expect(lines[1]).toBe(`0,false,1,3,30,30,1,${1 / 3},10,10`);
    expect(lines[2]).toBe(`1,true,${1 - Math.tanh(2)},3,30,30,1,${1 / 3},10,10`);
  });

  it('keeps one update in `every` and empties on clear()', () => {
    const trace = new CoefficientTrace(['text', 'vision'], { every: 3 });
    run(trace, 7);
    expect(trace.toJSON().step).toEqual([0, 3, 6]);
    trace.clear();
    expect(trace.length).toBe(0);
    expect(() => new CoefficientTrace(['a', 'b'], { every: 0 })).toThrow(/'every'/);
  });
});
