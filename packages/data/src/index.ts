/**
 * @umd/data: medical dataset adapters, image and text pipelines, batching and the phantom dataset.
 * Named exports only (STYLE.md b3).
 */
export { normalizeAnswer } from './sample.js';
export type { AnswerType, CaptionSample, ClassificationSample, ImageSource, Sample, VqaSample } from './sample.js';
