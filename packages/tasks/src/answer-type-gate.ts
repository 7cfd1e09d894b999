import { InvalidConfigError } from '@umd/core';
import type { VqaSample } from '@umd/data';

import type { TaskSpec } from './task-spec.js';

/**
 * An answer-type gate for VQA (the type-conditional step of QCR, Zhan et al., ACM MM 2020): a question-only
 * classifier says whether a question is closed (yes/no, "X or Y") or open, and the answer is taken among the classes of
 * that type only. Our tuned models confuse the types rarely but at a cost on both sides (open questions answered
 * "yes", closed ones answered with an organ); the gate removes those errors when the question's form gives the type.
 * Plain data after fitting; no tensors.
 */
export interface AnswerTypeGate {
  /** Per answer class (the task's order): whether a closed training question has it as its answer. */
  readonly closedClass: readonly boolean[];
  /** Per answer class: whether an open training question has it as its answer (a class may be both: `ct`, `left`). */
  readonly openClass: readonly boolean[];
  /** P(closed | question) from the fitted logistic regression on the question's words. */
  closedProbability(question: string): number;
  /** Share of the training questions whose type the classifier gets right (a check of the fit). */
  readonly trainingAccuracy: number;
}

/** Options of {@link fitAnswerTypeGate}. */
export interface FitAnswerTypeGateOptions {
  /** Full-batch gradient steps. Default 300. */
  readonly steps?: number;
  /** Step size. Default 0.5. */
  readonly learningRate?: number;
  /** L2 penalty on the word weights. Default 1e-3. */
  readonly l2?: number;
}

/**
 * The words of a question the classifier reads: each lower-cased word, the first word and the first two words
 * (`is`, `what`, `is there` … carry the type in English questions).
 */
export function questionFeatures(question: string): string[] {
  const words = question.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const features = new Set(words.map((word) => `w:${word}`));
  if (words[0]) features.add(`first:${words[0]}`);
  if (words[1]) features.add(`first2:${words[0]} ${words[1]}`);
  return [...features];
}

/**
 * Fits the gate on a task's training samples: the types each answer class was given to in training (a closed question
 * may be answered `ct` or `left` as well as an open one), and an L2-regularised logistic regression P(closed | question words) by full-batch gradient descent
 * from zero weights (no randomness: the same samples give the same gate).
 *
 * @param samples the training split (never validation or test)
 * @throws InvalidConfigError for a task that is not VQA, or training samples of only one type
 */
export function fitAnswerTypeGate(task: TaskSpec, samples: readonly VqaSample[], options: FitAnswerTypeGateOptions = {}): AnswerTypeGate {
  if (task.kind !== 'vqa') throw new InvalidConfigError('answerTypeGate', task.kind, 'a VQA task');
  const closedAnswers = new Set(samples.filter((sample) => sample.answerType === 'closed').map((sample) => sample.answer));
  const openAnswers = new Set(samples.filter((sample) => sample.answerType === 'open').map((sample) => sample.answer));
  const closedClass = task.answers.map((answer) => closedAnswers.has(answer));
  const openClass = task.answers.map((answer) => openAnswers.has(answer));

  const labels = samples.map((sample) => (sample.answerType === 'closed' ? 1 : 0));
  const closedShare = labels.reduce<number>((sum, label) => sum + label, 0) / Math.max(1, labels.length);
  if (closedShare === 0 || closedShare === 1) {
    throw new InvalidConfigError(
      'answerTypeGate (training samples)',
      `${labels.length} samples, all ${closedShare === 1 ? 'closed' : 'open'}`,
      'closed and open questions',
    );
  }
  const vocabulary = new Map<string, number>();
  const rows = samples.map((sample) =>
    questionFeatures(sample.question).map((feature) => {
      let index = vocabulary.get(feature);
      if (index === undefined) vocabulary.set(feature, (index = vocabulary.size));
      return index;
    }),
  );
  const weights = new Float64Array(vocabulary.size);
  let bias = Math.log(closedShare / (1 - closedShare));
  const steps = options.steps ?? 300;
  const learningRate = options.learningRate ?? 0.5;
  const l2 = options.l2 ?? 1e-3;
  const gradient = new Float64Array(vocabulary.size);
  const logit = (features: readonly number[]): number => features.reduce((sum, index) => sum + weights[index]!, bias);
  for (let step = 0; step < steps; step++) {
    gradient.fill(0);
    let biasGradient = 0;
    rows.forEach((features, i) => {
      const error = sigmoid(logit(features)) - labels[i]!;
      biasGradient += error;
      for (const index of features) gradient[index] = gradient[index]! + error;
    });
    const n = rows.length;
    bias -= (learningRate * biasGradient) / n;
    for (let index = 0; index < weights.length; index++) weights[index] = weights[index]! - learningRate * (gradient[index]! / n + l2 * weights[index]!);
  }
  const trainingAccuracy = rows.filter((features, i) => (sigmoid(logit(features)) > 0.5 ? 1 : 0) === labels[i]).length / rows.length;
  return {
    closedClass,
    openClass,
    trainingAccuracy,
    closedProbability: (question) => sigmoid(questionFeatures(question).reduce((sum, feature) => sum + (weights[vocabulary.get(feature) ?? -1] ?? 0), bias)),
  };
}

/**
 * The argmax of each row of `logits` [B, K] among the classes given to the question's predicted type in training
 * (P(closed) > 0.5 → closed); a row whose type has no class keeps its plain argmax.
 *
 * @param logits row-major [B, K]
 * @param closedProbabilities [B] from {@link AnswerTypeGate.closedProbability}
 * @returns [B] class indices
 */
export function gatedArgMax(logits: Float32Array, numClasses: number, closedProbabilities: readonly number[], gate: AnswerTypeGate): Int32Array {
  const out = new Int32Array(closedProbabilities.length);
  closedProbabilities.forEach((probability, row) => {
    const allowed = probability > 0.5 ? gate.closedClass : gate.openClass;
    let best = -1;
    let bestAny = 0;
    for (let k = 0; k < numClasses; k++) {
      const value = logits[row * numClasses + k]!;
      if (value > logits[row * numClasses + bestAny]!) bestAny = k;
      if (allowed[k] && (best < 0 || value > logits[row * numClasses + best]!)) best = k;
    }
    out[row] = best < 0 ? bestAny : best;
  });
  return out;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
