import { InvalidConfigError } from '@umd/core';
import type { CaptionSample, ClassificationSample, VqaSample } from '@umd/data';

import { taskClasses, type TaskSpec } from './task-spec.js';

/** The samples each task tunes and evaluates on: VQA pairs, image-text classification, or image-caption pairs. */
export type TaskSample = VqaSample | ClassificationSample | CaptionSample;

/** The sample kind a task reads. */
const sampleTask = { vqa: 'vqa', classification: 'classification', retrieval: 'caption' } as const;

/**
 * Checks that every sample fits the task (`vqa` → VqaSample, `classification` → ClassificationSample, `retrieval` →
 * CaptionSample).
 *
 * @param key the option the samples came in (for the error)
 * @throws InvalidConfigError naming the first sample of another kind
 */
export function checkTaskSamples(task: TaskSpec, samples: readonly TaskSample[], key: string): void {
  const expected = sampleTask[task.kind];
  const index = samples.findIndex((sample) => sample.task !== expected);
  if (index >= 0) {
    throw new InvalidConfigError(`${key}[${index}].task`, samples[index]!.task, `'${expected}' samples for task '${task.kind}'`);
  }
}

/**
 * The class index of every sample: its answer's index in `task.answers` (VQA) or its label's in `task.labels`
 * (classification); −1 when the answer or label is not a class (never counted as correct, masked out of the loss).
 * Undefined for retrieval.
 */
export function taskTargets(task: TaskSpec, samples: readonly TaskSample[]): Int32Array | undefined {
  if (task.kind === 'retrieval') return undefined;
  const index = classIndex(task);
  return Int32Array.from(samples, (sample) => {
    const name = sample.task === 'vqa' ? sample.answer : sample.task === 'classification' ? sample.label : undefined;
    return name === undefined ? -1 : (index.get(name) ?? -1);
  });
}

const indexCache = new WeakMap<readonly string[], ReadonlyMap<string, number>>();

/** Class name → index of a task (cached per class list). */
export function classIndex(task: TaskSpec): ReadonlyMap<string, number> {
  const classes = taskClasses(task);
  let index = indexCache.get(classes);
  if (!index) {
    index = new Map(classes.map((name, i) => [name, i]));
    indexCache.set(classes, index);
  }
  return index;
}
