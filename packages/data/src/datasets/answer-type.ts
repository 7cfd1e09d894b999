import { InvalidRecordError, type RecordLocation } from '../errors/invalid-record-error.js';
import type { AnswerType } from '../sample.js';

const closedAnswers = new Set(['yes', 'no']);

/**
 * The answer type of a dataset that gives none (VQA-Med 2019, JSONL without `answer_type`): `closed` for yes/no
 * answers, `open` otherwise. `answer` must already be normalised.
 */
export function deriveAnswerType(answer: string): AnswerType {
  return closedAnswers.has(answer) ? 'closed' : 'open';
}

/**
 * Reads a dataset's own answer-type label, tolerating case and stray whitespace (VQA-RAD has `"CLOSED "`). Anything
 * other than open/closed is an `invalid-field` record error.
 */
export function parseAnswerType(value: unknown, field: string, location: RecordLocation): AnswerType {
  const text = typeof value === 'string' ? value.trim().toLowerCase() : undefined;
  if (text === 'open' || text === 'closed') return text;
  if (value === undefined || value === null) {
    throw new InvalidRecordError(location, 'missing-field', `field '${field}' is missing`, field);
  }
  throw new InvalidRecordError(location, 'invalid-field', `field '${field}' is ${JSON.stringify(value)}, expected "OPEN" or "CLOSED"`, field);
}
