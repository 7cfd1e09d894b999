/**
 * @umd/bench: umd-bench: the paper benchmark on real data and the performance workloads.
 *
 * Skeleton: the public API is filled in by issue #8. Named exports only (see STYLE.md b3).
 */
export {};
