/**
 * @umd/data: medical dataset adapters, image and text pipelines, batching and the phantom dataset.
 * Named exports only (STYLE.md b3).
 */
export { normalizeAnswer } from './sample.js';
export type { AnswerType, CaptionSample, ClassificationSample, ImageSource, Sample, VqaSample } from './sample.js';

// Dataset adapters (official layouts) and what they return.
export type { DatasetLoad, DatasetLoadOptions, FilteredRecords, OnError, SkippedRecord } from './datasets/dataset-load.js';
export { loadVqaRad } from './datasets/load-vqa-rad.js';
export type { LoadVqaRadOptions, VqaRadScheme } from './datasets/load-vqa-rad.js';
export { loadSlake } from './datasets/load-slake.js';
export type { LoadSlakeOptions, SlakeLanguage } from './datasets/load-slake.js';
export { loadVqaMed2019 } from './datasets/load-vqa-med-2019.js';
export type { LoadVqaMed2019Options, VqaMed2019Record } from './datasets/load-vqa-med-2019.js';
export { loadMedpixCaptions, loadMedpixClassification } from './datasets/load-medpix.js';
export type { LoadMedpixClassificationOptions, LoadMedpixOptions, MedpixLabelField, MedpixScheme } from './datasets/load-medpix.js';
export { loadRoco } from './datasets/load-roco.js';
export type { LoadRocoOptions, RocoRecord, RocoSubset } from './datasets/load-roco.js';
export { loadMelinda } from './datasets/load-melinda.js';
export type { LoadMelindaOptions, MelindaLabelField } from './datasets/load-melinda.js';
export { loadJsonl } from './datasets/load-jsonl.js';
export type { JsonlSample, JsonlTask, LoadJsonlOptions } from './datasets/load-jsonl.js';
export { summarizeDataset } from './datasets/summarize-dataset.js';
export { decodeDatasetImages } from './datasets/decode-dataset-images.js';
export type { DatasetDecodeReport, DecodeDatasetImagesOptions, ImageDecodeFailure } from './datasets/decode-dataset-images.js';
export { carveValidation } from './datasets/carve-validation.js';
export type { CarvedSplits, CarveValidationOptions } from './datasets/carve-validation.js';
export type { DatasetSummary, DatasetSummaryInput, SplitSummary, SummarizeDatasetOptions } from './datasets/summarize-dataset.js';

// Answer vocabulary.
export { buildAnswerVocabulary } from './vocabulary/answer-vocabulary.js';
export type { AnswerVocabulary, AnswerVocabularyOptions, AnswerVocabularySource } from './vocabulary/answer-vocabulary.js';
export { measureAnswerCoverage } from './vocabulary/answer-coverage.js';
export type { AnswerCoverage } from './vocabulary/answer-coverage.js';

// Dataset errors.
export { DatasetNotFoundError } from './errors/dataset-not-found-error.js';
export { DatasetImagesError } from './errors/dataset-images-error.js';
export { DatasetParseError } from './errors/dataset-parse-error.js';
export { EmptySplitError } from './errors/empty-split-error.js';
export { InvalidRecordError } from './errors/invalid-record-error.js';
export type { RecordLocation, RecordProblem } from './errors/invalid-record-error.js';

// Images (sharp): decode, resize, crop, normalise, cache.
export { createImagePipeline, ImagePipeline } from './image/image-pipeline.js';
export type { ImageCrop, ImageLoadOptions, PixelLoadOptions, ImagePipelineConfig, ImagePipelineStats } from './image/image-pipeline.js';
export { decodeImage, defaultMaxInputPixels } from './image/decode-image.js';

// DICOM Part 10 (dicom-parser; RLE here; JPEG by sharp, JPEG Lossless, CharLS and OpenJPEG codecs).
export { dicomTransferSyntaxes, isDicom, readDicomImage } from './dicom/read-dicom-image.js';
export type { DicomImage, ReadDicomOptions } from './dicom/read-dicom-image.js';
export { parseDicomWindow, windowPresets } from './dicom/voi-window.js';
export type { DicomWindow, WindowLevel, WindowPreset } from './dicom/voi-window.js';
export type { DecodeImageOptions } from './image/decode-image.js';
export { imageNormalizations, normalizeImage } from './image/normalize-image.js';
export { normalizePixels } from './image/normalize-pixels.js';
export type { ImageNormalization } from './image/normalize-image.js';
export { centreCrop } from './image/centre-crop.js';
export { randomResizedCrop } from './image/random-resized-crop.js';
export type { RandomResizedCropOptions } from './image/random-resized-crop.js';
export type { RandomSource } from './image/random-source.js';
export type { NormalizedImage, RawImage } from './image/raw-image.js';
export { ImageDecodeError } from './image/image-decode-error.js';
export type { ImageDecodeReason } from './image/image-decode-error.js';
export { ImageCacheError } from './image/image-cache-error.js';

// Text: WordPiece tokenizer (bert-base-uncased by default) and vocabulary training.
export { loadWordPieceTokenizer, WordPieceTokenizer } from './text/word-piece-tokenizer.js';
export type {
  EncodeBatchOptions,
  EncodedBatch,
  EncodedText,
  EncodeOptions,
  LoadWordPieceTokenizerOptions,
  SpecialTokenIds,
} from './text/word-piece-tokenizer.js';
export { trainWordPieceTokenizer } from './text/train-word-piece-tokenizer.js';
export type { TrainedWordPieceTokenizer, TrainWordPieceTokenizerOptions } from './text/train-word-piece-tokenizer.js';
export { bertBaseUncasedVocabulary } from './text/bert-base-uncased-vocabulary.js';
export { wordPieceTokenizerJson } from './text/word-piece-tokenizer-json.js';
export type { TokenizerJson, WordPieceTokenizerJsonOptions } from './text/word-piece-tokenizer-json.js';
export { defaultCacheDir } from './text/default-cache-dir.js';
export { dropSentences } from './text/drop-sentences.js';
export { TokenizerFileError } from './text/tokenizer-file-error.js';
export { TokenizerTrainingError } from './text/tokenizer-training-error.js';
export { readWordVectors } from './text/read-word-vectors.js';
export type { ReadWordVectorsOptions, WordVectors } from './text/read-word-vectors.js';
export { WordVectorFileError } from './text/word-vector-file-error.js';

// Batching: seeded, resumable, prefetching loader; plain typed arrays; tensors on request.
export { BatchLoader, createBatchLoader } from './batching/batch-loader.js';
export type { BatchLoaderOptions, BatchLoaderState, CollateContext, LoadedBatch, LoaderPosition } from './batching/batch-loader.js';
export { createImageTextCollate, sampleText } from './batching/image-text-collate.js';
export type { ImageTextBatch, ImageTextCollateOptions } from './batching/image-text-collate.js';
export { loadImageBatch, loadPixelBatch } from './batching/load-image-batch.js';
export type { LoadImageBatchOptions } from './batching/load-image-batch.js';
export { batchToTensors } from './batching/batch-to-tensors.js';
export type { TensorsOf } from './batching/batch-to-tensors.js';
export type { ShapedArray } from './batching/shaped-array.js';

// Phantom dataset (synthetic, built in).
export { generatePhantomDataset } from './phantom/generate-phantom-dataset.js';
export type { PhantomDataset, PhantomDatasetOptions, PhantomSplit } from './phantom/generate-phantom-dataset.js';
export type { PhantomLesion, PhantomModality, PhantomOrgan, PhantomScene } from './phantom/phantom-scene.js';
