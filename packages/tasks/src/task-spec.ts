import { InvalidConfigError } from '@umd/core';

/**
 * Which downstream task to tune for. Plain data; stored in tuned checkpoints (`config.task`).
 * - `vqa`: classification over the answer vocabulary (`answers[i]` is class i), M3AE's VQA head.
 * - `classification`: image-text classification (`labels[i]` is class i), e.g. MedPix location category.
 * - `retrieval`: image-text retrieval, scored by the fused ITM head and re-ranked from a cosine first stage.
 */
export type TaskSpec =
  | { readonly kind: 'vqa'; readonly answers: readonly string[] }
  | { readonly kind: 'classification'; readonly labels: readonly string[] }
  | { readonly kind: 'retrieval' };

/** The kinds of {@link TaskSpec}. */
export const taskKinds = ['vqa', 'classification', 'retrieval'] as const satisfies readonly TaskSpec['kind'][];

/** The class names of a classifying task (answers or labels); empty for retrieval. */
export function taskClasses(task: TaskSpec): readonly string[] {
  switch (task.kind) {
    case 'vqa':
      return task.answers;
    case 'classification':
      return task.labels;
    case 'retrieval':
      return [];
  }
}

/**
 * Checks a task spec once, where it enters (it may come from JSON).
 *
 * @throws InvalidConfigError for an unknown kind, an empty or duplicated class list
 */
export function validateTaskSpec(task: TaskSpec): void {
  const kind: unknown = (task as { kind?: unknown } | undefined)?.kind;
  if (!(taskKinds as readonly unknown[]).includes(kind)) throw new InvalidConfigError('task.kind', kind, taskKinds.map((k) => `'${k}'`).join(', '));
  if (task.kind === 'retrieval') return;
  const key = task.kind === 'vqa' ? 'task.answers' : 'task.labels';
  const classes = taskClasses(task);
  if (!Array.isArray(classes) || classes.length < 2 || classes.some((name) => typeof name !== 'string')) {
    throw new InvalidConfigError(key, classes, 'an array of at least 2 class names (strings)');
  }
  const seen = new Set<string>();
  for (const name of classes) {
    if (seen.has(name)) throw new InvalidConfigError(key, name, 'each class name once');
    seen.add(name);
  }
}
