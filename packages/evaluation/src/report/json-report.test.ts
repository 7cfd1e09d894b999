import { describe, expect, it } from 'vitest';

import { classificationMetrics } from '../metrics/classification-metrics.js';
import { retrievalRecall } from '../metrics/retrieval-recall.js';
import { vqaAccuracy } from '../metrics/vqa-accuracy.js';
import { meanInterval } from '../statistics/mean-interval.js';
import { toJsonReport } from './json-report.js';

describe('toJsonReport', () => {
  it('writes NaN and infinities as null and typed arrays as arrays', () => {
    const text = toJsonReport({ open: Number.NaN, big: Number.POSITIVE_INFINITY, scores: Float32Array.from([0.5, Number.NaN]), ok: 1 }, { indent: 0 });
    expect(text).toBe('{"open":null,"big":null,"scores":[0.5,null],"ok":1}\n');
  });

  it("round-trips this package's results through JSON.parse", () => {
    const report = {
      vqa: vqaAccuracy([{ prediction: 'yes', answer: 'yes', answerType: 'closed' }]),
      classification: classificationMetrics([0, 1], [0, 0], 2),
      retrieval: retrievalRecall([1, 0, 0, 1], 2, 2),
      seeds: meanInterval([0.6]),
    };
    const parsed = JSON.parse(toJsonReport(report));
    expect(parsed.vqa.closed.accuracy).toBe(1);
    expect(parsed.vqa.open.accuracy).toBeNull(); // no open question: NaN → null
    expect(parsed.classification.confusion).toEqual([
      [1, 1],
      [0, 0],
    ]);
    expect(parsed.retrieval.meanRecall).toBe(1);
    expect(parsed.seeds.standardDeviation).toBeNull();
    expect(toJsonReport(report)).toMatch(/\n {2}"vqa"/); // indented by default
  });
});
