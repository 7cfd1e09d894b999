import { EvaluationInputError } from '../errors/evaluation-input-error.js';
import { confusionMatrix } from './confusion-matrix.js';

/** Precision, recall and F1 of one class (one-vs-rest), and its support (number of true samples). */
export interface ClassMetrics {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly support: number;
}

/** Result of {@link classificationMetrics}. */
export interface ClassificationMetrics {
  /** correct / total, NaN when there is no sample */
  readonly accuracy: number;
  /** unweighted mean of the per-class F1 over the averaged classes (see `macroAverage`) */
  readonly macroF1: number;
  /** indexed by class */
  readonly perClass: readonly ClassMetrics[];
  /** [true][predicted] counts */
  readonly confusion: readonly (readonly number[])[];
}

/** Options of {@link classificationMetrics}. */
export interface ClassificationMetricsOptions {
  /**
   * Which classes macro-F1 averages over. `'present'` (default, scikit-learn's behaviour without `labels`): the
   * classes that occur in the targets or the predictions; a class with neither support nor predictions says nothing
   * about the model. `'all'`: every one of `numClasses`, absent ones counting F1 = 0.
   */
  readonly macroAverage?: 'present' | 'all';
}

/**
 * Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix of a classifier.
 *
 * With TP, FP, FN counted one-vs-rest from the confusion matrix C[true][predicted]:
 * precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2·P·R / (P + R); each is 0 where its denominator is 0
 * (scikit-learn's `zero_division=0`), so a class that is never predicted gets precision 0 and F1 0.
 *
 * @param predictions [N] predicted class indices in [0, numClasses)
 * @param targets [N] true class indices in [0, numClasses)
 * @throws {EvaluationInputError} as {@link confusionMatrix}, or an unknown `macroAverage`
 */
export function classificationMetrics(
  predictions: ArrayLike<number>,
  targets: ArrayLike<number>,
  numClasses: number,
  options: ClassificationMetricsOptions = {},
): ClassificationMetrics {
  const macroAverage = options.macroAverage ?? 'present';
  if (macroAverage !== 'present' && macroAverage !== 'all') throw new EvaluationInputError('options.macroAverage', "'present' or 'all'", macroAverage);
  const confusion = confusionMatrix(predictions, targets, numClasses);
  const predicted = new Array<number>(numClasses).fill(0);
  for (const row of confusion) row.forEach((count, column) => (predicted[column] = (predicted[column] as number) + count));
  let correct = 0;
  let f1Sum = 0;
  let averaged = 0;
  const perClass = confusion.map((row, k): ClassMetrics => {
    const truePositives = row[k] as number;
    const support = row.reduce((sum, count) => sum + count, 0);
    const predictedCount = predicted[k] as number;
    const precision = predictedCount === 0 ? 0 : truePositives / predictedCount;
    const recall = support === 0 ? 0 : truePositives / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    correct += truePositives;
    if (macroAverage === 'all' || support > 0 || predictedCount > 0) {
      f1Sum += f1;
      averaged += 1;
    }
    return { precision, recall, f1, support };
  });
  const total = targets.length;
  return {
    accuracy: total === 0 ? Number.NaN : correct / total,
    macroF1: total === 0 || averaged === 0 ? Number.NaN : f1Sum / averaged,
    perClass,
    confusion,
  };
}
