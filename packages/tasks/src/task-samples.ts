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

/** Name → index in `names` (cached per list: targets are looked up every batch). */
function nameIndex(names: readonly string[]): ReadonlyMap<string, number> {
  let index = indexCache.get(names);
  if (!index) {
    index = new Map(names.map((name, i) => [name, i]));
    indexCache.set(names, index);
  }
  return index;
}

/** Class name → index of a task (cached per class list). */
export function classIndex(task: TaskSpec): ReadonlyMap<string, number> {
  return nameIndex(taskClasses(task));
}

/**
 * The auxiliary attribute targets of a batch: field → [B] index of each sample's `attributes[field]` in
 * `classes[field]`, −1 when the sample lacks the field or its value is not a class. Undefined without fields.
 */
export function attributeTargets(classes: Readonly<Record<string, readonly string[]>>, samples: readonly TaskSample[]): Record<string, Int32Array> | undefined {
  const fields = Object.keys(classes);
  if (fields.length === 0) return undefined;
  return Object.fromEntries(
    fields.map((field) => {
      const index = nameIndex(classes[field]!);
      return [field, Int32Array.from(samples, (sample) => index.get(sample.attributes?.[field] ?? '') ?? -1)];
    }),
  );
}

/**
 * The class names of each attribute field in the training samples, sorted (so the same samples always give the same
 * head): what `attributes.classes` holds when the caller does not give it.
 *
 * @throws InvalidConfigError when a field has fewer than 2 distinct values among the samples
 */
export function attributeClasses(fields: readonly string[], samples: readonly TaskSample[]): Record<string, string[]> {
  return Object.fromEntries(
    fields.map((field) => {
      const names = [...new Set(samples.flatMap((sample) => (sample.attributes?.[field] === undefined ? [] : [sample.attributes[field]])))].sort();
      if (names.length < 2) {
        throw new InvalidConfigError(
          'attributes.fields',
          field,
          `a field with at least 2 values among the training samples' attributes (found ${names.length})`,
        );
      }
      return [field, names];
    }),
  );
}
