import { describe, expect, it } from 'vitest';

import { metricSeries, readMetricsJsonl } from './metrics-jsonl.js';
import { movingAverage } from './moving-average.js';

const text = [
  '{"step":1,"mim":0.96,"total":12.9,"lr":0,"ms":1442.27}',
  '',
  '{"step":2,"mim":0.99,"total":12.87,"lr":2.6e-6,"ms":1244.84}\r',
  '{"step":3,"total":12.89,"lr":5.2e-6,"ms":1200}',
].join('\n');

describe('readMetricsJsonl', () => {
  it('parses one object per line, skipping blank lines and tolerating CRLF', () => {
    const records = readMetricsJsonl(text);
    expect(records).toHaveLength(3);
    expect(records[1]).toEqual({ step: 2, mim: 0.99, total: 12.87, lr: 2.6e-6, ms: 1244.84 });
  });

  it('names the line of a broken record, or skips it on request', () => {
    const broken = `${text}\n{"step":4,"tot`;
    expect(() => readMetricsJsonl(broken)).toThrow(/text \(line 5\)/);
    expect(readMetricsJsonl(broken, { onInvalidLine: 'skip' })).toHaveLength(3);
    expect(() => readMetricsJsonl('[1, 2]')).toThrow(/line 1/);
  });

  it('extracts [step, value] series, leaving out records without the metric', () => {
    const records = readMetricsJsonl(text);
    expect(metricSeries(records, 'mim')).toEqual([
      [1, 0.96],
      [2, 0.99],
    ]);
    expect(metricSeries(records, 'total', 'ms')).toEqual([
      [1442.27, 12.9],
      [1244.84, 12.87],
      [1200, 12.89],
    ]);
  });
});

describe('movingAverage', () => {
  it('averages a trailing window, with partial windows at the start', () => {
    expect(movingAverage([1, 2, 3, 4, 5], 2)).toEqual([1, 1.5, 2.5, 3.5, 4.5]);
    expect(movingAverage([3, 6, 9, 12], 3)).toEqual([3, 4.5, 6, 9]);
    expect(movingAverage(Float32Array.from([1, 2]), 1)).toEqual([1, 2]);
  });

  it('skips non-finite values and gives NaN when a window has none', () => {
    const out = movingAverage([1, Number.NaN, 3, Number.NaN, Number.NaN, 8], 2);
    expect(out.slice(0, 4)).toEqual([1, 1, 3, 3]);
    expect(out[4]).toBeNaN();
    expect(out[5]).toBe(8);
  });

  it('stays accurate over a long series', () => {
    const values = Array.from({ length: 100_000 }, (_, i) => 1e6 + Math.sin(i));
    const out = movingAverage(values, 100);
    const last = values.slice(-100).reduce((a, b) => a + b, 0) / 100;
    expect(out.at(-1)).toBeCloseTo(last, 6);
  });

  it('rejects a bad window', () => {
    expect(() => movingAverage([1], 0)).toThrow(/window/);
    expect(() => movingAverage([1], 1.5)).toThrow(/window/);
  });
});
