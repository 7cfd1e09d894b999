/**
 * @umd/trainer: umd-train: config file to pretrain, calibrate, fine-tune and evaluate.
 *
 * Skeleton: the public API is filled in by issue #8. Named exports only (see STYLE.md b3).
 */
export {};
