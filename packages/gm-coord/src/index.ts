/**
 * @umd/gm-coord: GM-Coord: gradient-guided modality coordination (OGM-GE and related strategies) as pure TypeScript plus a thin tfjs adapter.
 *
 * Skeleton: the public API is filled in by issue #6. Named exports only (see STYLE.md b3).
 */
export {};
