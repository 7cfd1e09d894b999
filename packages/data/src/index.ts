/**
 * @umd/data: Medical dataset adapters (VQA-RAD, SLAKE, VQA-Med 2019, MedPix 2.0, ROCO-style, MELINDA-style, JSONL), image pipeline (sharp), WordPiece tokenizer, batching and the built-in phantom dataset.
 *
 * Skeleton: the public API is filled in by issue #3. Named exports only (see STYLE.md b3).
 */
export {};
