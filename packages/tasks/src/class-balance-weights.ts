import { InvalidConfigError } from '@umd/core';

import { taskClasses, type TaskSpec } from './task-spec.js';
import { taskTargets, type TaskSample } from './task-samples.js';

/**
 * Per-class loss weights that even out the classes of the training samples: w_k ∝ n_k^(−power), where n_k counts the
 * training samples of class k, scaled so the mean weight over the training samples is 1 (the loss keeps its size).
 * `power` 0 gives every class weight 1, 1 the fully balanced weights (each class contributes equally), 0.5 the square
 * root in between. Classes without a training sample get weight 0 (they have no gradient to scale).
 *
 * @returns [K] weights in the order of the task's classes
 * @throws InvalidConfigError for retrieval (no classes), a power outside [0, 1], or training samples of no class
 */
export function classBalanceWeights(task: TaskSpec, train: readonly TaskSample[], power: number): Float32Array {
  if (task.kind === 'retrieval') throw new InvalidConfigError('classBalance', power, '0 for retrieval (it weights class targets; retrieval has none)');
  if (!(power >= 0 && power <= 1)) throw new InvalidConfigError('classBalance', power, 'a number in [0, 1] (0 = every class weight 1, 1 = balanced)');
  const K = taskClasses(task).length;
  const counts = new Float64Array(K);
  for (const target of taskTargets(task, train)!) if (target >= 0) counts[target]! += 1;
  const counted = counts.reduce((sum, count) => sum + count, 0);
  if (counted === 0) throw new InvalidConfigError('train', train.length, 'training samples with a class to count (classBalance)');
  const raw = Array.from(counts, (count) => (count > 0 ? count ** -power : 0));
  const scale = counted / raw.reduce((sum, weight, k) => sum + weight * counts[k]!, 0);
  return Float32Array.from(raw, (weight) => weight * scale);
}
