import { InvalidConfigError } from '@umd/core';
import type { ClassificationSample } from '@umd/data';
import { describe, expect, it } from 'vitest';

import { classBalanceWeights } from './class-balance-weights.js';
import type { TaskSpec } from './task-spec.js';

const task: TaskSpec = { kind: 'classification', labels: ['head', 'thorax', 'spine', 'pelvis'] };
const sample = (label: string, index: number): ClassificationSample =>
  ({ task: 'classification', id: `s${index}`, image: { kind: 'file', path: `${index}.png` }, text: 'caption', label }) as ClassificationSample;
// 6 head, 3 thorax, 1 spine, no pelvis; one label outside the classes.
const train = ['head', 'head', 'head', 'head', 'head', 'head', 'thorax', 'thorax', 'thorax', 'spine', 'other'].map(sample);

describe('classBalanceWeights', () => {
  it('weights each class by n^-power, keeps the mean weight over the training samples at 1, and gives empty classes 0', () => {
    const balanced = classBalanceWeights(task, train, 1);
    // n = 6, 3, 1, 0: raw 1/6, 1/3, 1, 0; mean over the 10 counted samples (6/6 + 3/3 + 1) / 10 = 0.3 -> scale 10/3.
    expect(Array.from(balanced)).toEqual([10 / 18, 10 / 9, 10 / 3, 0].map(Math.fround));
    expect(6 * balanced[0]!).toBeCloseTo(3 * balanced[1]!, 5); // each class contributes equally
    const sqrt = classBalanceWeights(task, train, 0.5);
    expect(sqrt[2]! / sqrt[0]!).toBeCloseTo(Math.sqrt(6), 5);
    expect((6 * sqrt[0]! + 3 * sqrt[1]! + sqrt[2]!) / 10).toBeCloseTo(1, 5);
    expect(Array.from(classBalanceWeights(task, train, 0))).toEqual([1, 1, 1, 0]);
  });

  it('rejects retrieval, a power outside [0, 1] and a training set without a class', () => {
    expect(() => classBalanceWeights({ kind: 'retrieval' }, train, 1)).toThrow(/0 for retrieval/);
    expect(() => classBalanceWeights(task, train, 1.5)).toThrow(InvalidConfigError);
    expect(() => classBalanceWeights(task, [sample('other', 0)], 1)).toThrow(/classBalance/);
  });
});
