import { checkArrayLike, checkInteger, checkLength } from '../errors/check-input.js';
import { EvaluationInputError } from '../errors/evaluation-input-error.js';

/**
 * Counts of (true class, predicted class) pairs.
 *
 * @param predictions [N] predicted class indices in [0, numClasses)
 * @param targets [N] true class indices in [0, numClasses)
 * @returns [numClasses][numClasses], `matrix[true][predicted]`: rows are true classes, columns predictions, so row
 *   sums are supports and the diagonal holds the correct predictions
 * @throws {EvaluationInputError} lengths differ, `numClasses` is not an integer ≥ 1, or a label is not an integer in range
 */
export function confusionMatrix(predictions: ArrayLike<number>, targets: ArrayLike<number>, numClasses: number): number[][] {
  checkInteger(numClasses, 'numClasses', 1);
  checkArrayLike(predictions, 'predictions');
  checkArrayLike(targets, 'targets');
  checkLength(predictions.length, targets.length, 'predictions', 'one prediction per target');
  const matrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < targets.length; i++) {
    const target = classIndex(targets[i], `targets[${i}]`, numClasses);
    const prediction = classIndex(predictions[i], `predictions[${i}]`, numClasses);
    (matrix[target] as number[])[prediction] = ((matrix[target] as number[])[prediction] as number) + 1;
  }
  return matrix;
}

function classIndex(value: unknown, argument: string, numClasses: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= numClasses) {
    throw new EvaluationInputError(argument, `a class index, an integer in [0, ${numClasses - 1}]`, value);
  }
  return value;
}
