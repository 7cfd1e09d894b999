/**
 * @umd/td-calib: TD-Calib: calibrating a pre-trained model to the downstream data distribution before task tuning.
 *
 * Skeleton: the public API is filled in by issue #7. Named exports only (see STYLE.md b3).
 */
export {};
