/**
 * @umd/encoders: ViT image encoder, BERT-style text encoder, co-attention fusion, the `tiny`/`small`/`base` configs and safetensors weight import.
 *
 * Skeleton: the public API is filled in by issue #4. Named exports only (see STYLE.md b3).
 */
export {};
