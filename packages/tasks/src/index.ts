/**
 * @umd/tasks: Downstream heads, losses and predictions: medical VQA, image-text classification and image-text retrieval.
 *
 * Skeleton: the public API is filled in by issue #7. Named exports only (see STYLE.md b3).
 */
export {};
