import { describe, expect, it } from 'vitest';

import { EvaluationInputError } from '../errors/evaluation-input-error.js';
import { classificationMetrics } from './classification-metrics.js';
import { confusionMatrix } from './confusion-matrix.js';

describe('confusionMatrix', () => {
  it('puts true classes on rows and predictions on columns', () => {
    // One sample of class 0 predicted as 2: row 0, column 2.
    const matrix = confusionMatrix([2], [0], 3);
    expect(matrix).toEqual([
      [0, 0, 1],
      [0, 0, 0],
      [0, 0, 0],
    ]);
  });

  it('counts pairs from typed arrays', () => {
    const matrix = confusionMatrix(Int32Array.from([0, 1, 1, 2, 2]), Float32Array.from([0, 1, 2, 2, 2]), 3);
    expect(matrix).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 1, 2],
    ]);
  });

  it('rejects labels out of range, non-integers, mismatched lengths and a bad numClasses', () => {
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow(/predictions\[1\]: expected a class index, an integer in \[0, 2\], got 3/);
    expect(() => confusionMatrix([0], [0.5], 3)).toThrow(/targets\[0\]/);
    expect(() => confusionMatrix([0, 1], [0], 3)).toThrow(/predictions\.length/);
    expect(() => confusionMatrix([0], [0], 0)).toThrow(EvaluationInputError);
    expect(() => confusionMatrix([0], [0], 0)).toThrow(/numClasses/);
  });
});

describe('classificationMetrics', () => {
  // targets     0 0 0 1 1 2
  // predictions 0 0 1 1 0 1   (class 2 is never predicted)
  const predictions = [0, 0, 1, 1, 0, 1];
  const targets = [0, 0, 0, 1, 1, 2];

  it('computes accuracy, per-class precision/recall/F1 and macro-F1 by hand', () => {
    const result = classificationMetrics(predictions, targets, 3);
    expect(result.accuracy).toBeCloseTo(3 / 6, 12);
    // class 0: TP 2, predicted 3, support 3 → P 2/3, R 2/3, F1 2/3
    // class 1: TP 1, predicted 3, support 2 → P 1/3, R 1/2, F1 = 2·(1/3)(1/2)/(5/6) = 0.4
    // class 2: TP 0, never predicted, support 1 → P 0, R 0, F1 0
    expect(result.perClass[0]?.precision).toBeCloseTo(2 / 3, 12);
    expect(result.perClass[0]?.recall).toBeCloseTo(2 / 3, 12);
    expect(result.perClass[0]?.f1).toBeCloseTo(2 / 3, 12);
    expect(result.perClass[1]).toEqual({ precision: 1 / 3, recall: 0.5, f1: expect.closeTo(0.4, 12), support: 2 });
    expect(result.perClass[2]).toEqual({ precision: 0, recall: 0, f1: 0, support: 1 });
    expect(result.macroF1).toBeCloseTo((2 / 3 + 0.4 + 0) / 3, 12);
    expect(result.confusion).toEqual(confusionMatrix(predictions, targets, 3));
  });

  it('averages macro-F1 over present classes by default, over all with macroAverage: all', () => {
    // Class 3 exists in the label space but in neither targets nor predictions.
    const present = classificationMetrics(predictions, targets, 4);
    const all = classificationMetrics(predictions, targets, 4, { macroAverage: 'all' });
    expect(present.macroF1).toBeCloseTo((2 / 3 + 0.4) / 3, 12);
    expect(all.macroF1).toBeCloseTo((2 / 3 + 0.4) / 4, 12);
    expect(present.perClass[3]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
  });

  it('gives 1 for a perfect classifier and NaN on no samples', () => {
    const perfect = classificationMetrics([0, 1, 2], [0, 1, 2], 3);
    expect(perfect.accuracy).toBe(1);
    expect(perfect.macroF1).toBe(1);
    const empty = classificationMetrics([], [], 2, { macroAverage: 'all' });
    expect(empty.accuracy).toBeNaN();
    expect(empty.macroF1).toBeNaN();
  });

  it('rejects an unknown macroAverage', () => {
    expect(() => classificationMetrics([0], [0], 1, { macroAverage: 'weighted' as 'all' })).toThrow(/options\.macroAverage/);
  });
});
