import { describe, expect, it } from 'vitest';

import { EvaluationInputError } from './evaluation-input-error.js';

describe('EvaluationInputError', () => {
  it('is a RangeError named UMD_EvaluationInputError that names the argument, expectation and value', () => {
    const error = new EvaluationInputError('targets[3]', 'a class index', 7);
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('UMD_EvaluationInputError');
    expect(error.message).toBe('targets[3]: expected a class index, got 7.');
    expect(error.argument).toBe('targets[3]');
    expect(EvaluationInputError.isInstance(error)).toBe(true);
    expect(EvaluationInputError.isInstance(new RangeError('x'))).toBe(false);
  });

  it("carries @umd/core's Symbol.for('umd.error') marker and the cause", () => {
    const cause = new Error('inner');
    const error = new EvaluationInputError('text', 'JSON', 'x', { cause, hint: 'Fix it.' });
    expect((error as unknown as Record<symbol, unknown>)[Symbol.for('umd.error')]).toBe(true);
    expect(error.cause).toBe(cause);
    expect(error.message).toMatch(/Fix it\.$/);
  });

  it('renders NaN, strings and arrays readably', () => {
    expect(new EvaluationInputError('a', 'b', Number.NaN).message).toContain('got NaN');
    expect(new EvaluationInputError('a', 'b', 'open ').message).toContain('got "open "');
    expect(new EvaluationInputError('a', 'b', [1, 2, 3]).message).toContain('an array of length 3');
  });
});
