/**
 * @umd/evaluation: Metrics on plain arrays (VQA accuracy, classification, retrieval recall), confidence intervals and report writers.
 *
 * Skeleton: the public API is filled in by issue #8. Named exports only (see STYLE.md b3).
 */
export {};
