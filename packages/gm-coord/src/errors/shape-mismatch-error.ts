import { GmCoordError } from './gm-coord-error.js';

/** A tensor argument has the wrong shape. `expected` may hold dimension letters (`'B'`) for free dimensions. */
export class ShapeMismatchError extends GmCoordError {
  constructor(
    readonly argument: string,
    readonly expected: readonly (number | string)[],
    readonly actual: readonly number[],
    hint?: string,
  ) {
    super({
      name: 'UMD_ShapeMismatchError',
      message: `${argument}: expected shape [${expected.join(', ')}], got [${actual.join(', ')}].${hint ? ` ${hint}` : ''}`,
    });
  }
}
