/**
 * @umd/encoders: the image encoder (ViT), the text encoder (BERT-style), co-attention fusion, the composed UmdModel,
 * size presets and Hugging Face weight import. Named exports only.
 */
export { VisionTransformer } from './vision-transformer.js';
export { loadVisionStem, loadedVisionStem, maxTunedBlocks, mobileNetV2Layers, visionStemSpec, VisionStemNotLoadedError } from './vision-stem.js';
export type { MobileNetV2Layer, StemInputRange, VisionStem, VisionStemConfig, VisionStemSpec } from './vision-stem.js';
export type { VitConfig, VitInputs } from './vision-transformer.js';
export { TextTransformer } from './text-transformer.js';
export type { TextConfig, TextInputs } from './text-transformer.js';
export { CoAttentionFusion } from './co-attention-fusion.js';
export { maskedMean } from './masked-mean.js';
export type { FusionConfig, FusionInputs, FusionLayerOutput, FusionOutput, FusionPooling } from './co-attention-fusion.js';
export { UmdModel } from './umd-model.js';
export { ItmHead } from './itm-head.js';
export type { UmdModelConfig, UmdModelInputs, UmdModelOutput } from './umd-model.js';
export { encoderPresets } from './presets.js';
export type { EncoderPresetName } from './presets.js';
export { patchify, unpatchify } from './patchify.js';
export { patchMaskingTensors, randomPatchMasking } from './random-patch-masking.js';
export type { PatchMasking, PatchMaskingOptions, PatchMaskingTensors } from './random-patch-masking.js';
export { interpolatePositionGrid, sinCosPositionEmbedding } from './position-embedding.js';
export { importHuggingFaceWeights } from './weight-import/import-hugging-face-weights.js';
export type { HuggingFaceWeights, ImportReport } from './weight-import/import-hugging-face-weights.js';
export { bertNameMap, clipVisionNameMap } from './weight-import/hugging-face-name-map.js';
export type { NameMap, NameMapEntry, WeightTransform } from './weight-import/hugging-face-name-map.js';
export { initWordEmbeddings } from './word-vector-init.js';
export type { WordEmbeddingInit } from './word-vector-init.js';
