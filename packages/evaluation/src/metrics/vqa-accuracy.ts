import { checkArrayLike } from '../errors/check-input.js';
import { EvaluationInputError } from '../errors/evaluation-input-error.js';
import { toAccuracy, type Accuracy } from './accuracy.js';

/** One answered VQA question. */
export interface VqaRecord {
  readonly prediction: string;
  readonly answer: string;
  /** VQA-RAD / SLAKE split: yes/no and other closed-set questions vs free-form ones. */
  readonly answerType: 'open' | 'closed';
}

/** VQA accuracy overall and per answer type. */
export interface VqaAccuracy {
  readonly overall: Accuracy;
  readonly open: Accuracy;
  readonly closed: Accuracy;
}

/** Options of {@link vqaAccuracy}. */
export interface VqaAccuracyOptions {
  /** How answers are compared (default {@link normalizeAnswer}: trim, lower-case, collapse whitespace). */
  readonly normalize?: (answer: string) => string;
}

/** The answer normalisation of {@link vqaAccuracy}: trim, lower-case, every whitespace run → one space. */
export function normalizeAnswer(answer: string): string {
  return answer.trim().toLowerCase().replace(/\s+/g, ' ');
}

/**
 * Exact-match VQA accuracy (the VQA-RAD/SLAKE convention of M3AE and others): a prediction is correct when it equals
 * the answer after trimming, lower-casing and collapsing whitespace. Reported overall and split by `answerType`;
 * a split with no question has accuracy NaN.
 *
 * @throws {EvaluationInputError} `records` is not an array, a prediction/answer is not a string, or an
 *   `answerType` is not `'open'`/`'closed'` (the message names `records[i].field`)
 */
export function vqaAccuracy(records: readonly VqaRecord[], options: VqaAccuracyOptions = {}): VqaAccuracy {
  checkArrayLike(records, 'records');
  const normalize = options.normalize ?? normalizeAnswer;
  const correct = { open: 0, closed: 0 };
  const total = { open: 0, closed: 0 };
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as VqaRecord | undefined;
    if (record === null || typeof record !== 'object') throw new EvaluationInputError(`records[${i}]`, 'a { prediction, answer, answerType } object', record);
    const { prediction, answer, answerType } = record;
    if (typeof prediction !== 'string') throw new EvaluationInputError(`records[${i}].prediction`, 'a string', prediction);
    if (typeof answer !== 'string') throw new EvaluationInputError(`records[${i}].answer`, 'a string', answer);
    if (answerType !== 'open' && answerType !== 'closed') throw new EvaluationInputError(`records[${i}].answerType`, "'open' or 'closed'", answerType);
    total[answerType] += 1;
    if (normalize(prediction) === normalize(answer)) correct[answerType] += 1;
  }
  return {
    overall: toAccuracy(correct.open + correct.closed, total.open + total.closed),
    open: toAccuracy(correct.open, total.open),
    closed: toAccuracy(correct.closed, total.closed),
  };
}
