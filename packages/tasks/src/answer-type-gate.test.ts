import type { VqaSample } from '@umd/data';
import { describe, expect, it } from 'vitest';

import { fitAnswerTypeGate, gatedArgMax, questionFeatures } from './answer-type-gate.js';
import type { TaskSpec } from './task-spec.js';

const task: TaskSpec = { kind: 'vqa', answers: ['yes', 'no', 'liver', 'left', 'ct'] };
let next = 0;
const sample = (question: string, answer: string, answerType: 'open' | 'closed'): VqaSample =>
  ({ task: 'vqa', id: String(next++), imageId: 'i', imagePath: 'i.png', question, answer, answerType }) as unknown as VqaSample;

/** Closed questions start with an auxiliary verb or offer a choice; open ones ask what / which / where. */
const train: VqaSample[] = [
  sample('Is there a mass in the liver?', 'yes', 'closed'),
  sample('Is the lesion on the left?', 'no', 'closed'),
  sample('Are the kidneys enlarged?', 'no', 'closed'),
  sample('Does this image show a fracture?', 'yes', 'closed'),
  sample('Is this a CT or an MRI?', 'ct', 'closed'),
  sample('Is this a CT?', 'yes', 'closed'),
  sample('What organ is abnormal?', 'liver', 'open'),
  sample('Which side is the lesion on?', 'left', 'open'),
  sample('Where is the mass?', 'liver', 'open'),
  sample('What imaging modality is this?', 'ct', 'open'),
  sample('What is the modality?', 'ct', 'open'),
];

describe('fitAnswerTypeGate', () => {
  it('types each answer class by its training questions and each question by its words', () => {
    const gate = fitAnswerTypeGate(task, train);
    // ct answers closed and open questions; left and liver only open ones
    expect(gate.closedClass).toEqual([true, true, false, false, true]);
    expect(gate.openClass).toEqual([false, false, true, true, true]);
    expect(gate.trainingAccuracy).toBe(1);
    expect(gate.closedProbability('Is there a fracture of the femur?')).toBeGreaterThan(0.5);
    expect(gate.closedProbability('What is abnormal in the kidney?')).toBeLessThan(0.5);
    // the same samples give the same gate (no randomness)
    expect(fitAnswerTypeGate(task, train).closedProbability('Are the lungs clear?')).toBe(gate.closedProbability('Are the lungs clear?'));
  });

  it('reads words, the first word and the first two words', () => {
    expect(questionFeatures('Is there a mass?')).toEqual(['w:is', 'w:there', 'w:a', 'w:mass', 'first:is', 'first2:is there']);
    expect(questionFeatures('')).toEqual([]);
  });

  it('refuses other tasks and training questions of one type', () => {
    expect(() => fitAnswerTypeGate({ kind: 'classification', labels: ['a', 'b'] }, train)).toThrow(/a VQA task/);
    expect(() => fitAnswerTypeGate(task, train.slice(0, 3))).toThrow(/all closed/);
  });
});

describe('gatedArgMax', () => {
  const gate = { closedClass: [true, true, false, false, true], openClass: [false, false, true, true, true], trainingAccuracy: 1, closedProbability: () => 0 };
  it('takes the best class of the predicted type, not the best overall', () => {
    // row 0: a closed question whose best logit is an open answer; row 1: an open question whose best is "yes"
    const logits = Float32Array.from([0.1, 0.3, 2.0, 0.0, 0.0, /* row 1 */ 3.0, 0.0, 0.5, 1.0, -1.0, /* row 2 */ 0.5, 0.0, 0.0, 0.0, 1.0]);
    // row 2: a closed question answered "ct" (a class both types have) keeps it
    expect([...gatedArgMax(logits, 5, [0.9, 0.1, 0.8], gate)]).toEqual([1, 3, 4]);
  });
  it('keeps the plain argmax when the type has no class', () => {
    const allOpen = { ...gate, closedClass: [false, false, false, false, false] };
    expect([...gatedArgMax(Float32Array.from([0, 1, 5, 0, 0]), 5, [0.9], allOpen)]).toEqual([2]);
  });
});
