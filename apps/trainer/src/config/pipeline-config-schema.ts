import { strategyKinds } from '@umd/gm-coord';
import { defaultFinetuneMultipliers } from '@umd/tasks';
import { z } from 'zod';

/** The pipeline's stages, in the order they run. */
export const stageNames = ['pretrain', 'calibrate', 'finetune', 'evaluate'] as const;
export type StageName = (typeof stageNames)[number];

/** Datasets a config can name (`data.dataset`). */
export const datasetNames = ['phantom', 'vqa-rad', 'slake', 'medpix-classification', 'medpix-retrieval'] as const;
export type DatasetName = (typeof datasetNames)[number];

/** Evaluation splits (`evaluate.splits`): the validation split (carved from train where the dataset has none) and the test split. */
export const evaluationSplits = ['validate', 'test'] as const;
export type EvaluationSplit = (typeof evaluationSplits)[number];

const positiveInt = () => z.number().int().positive();
const positive = () => z.number().positive();

const visionOverrides = z
  .strictObject({
    imageSize: positiveInt().optional().describe('input side in pixels (a multiple of patchSize)'),
    patchSize: positiveInt().optional().describe('patch side in pixels'),
    channels: z.literal([1, 3]).optional().describe('1 grey, 3 RGB'),
    dim: positiveInt().optional().describe('ViT width'),
    depth: positiveInt().optional().describe('ViT blocks'),
    heads: positiveInt().optional().describe('attention heads'),
    mlpDim: positiveInt().optional().describe('MLP hidden width'),
  })
  .prefault({})
  .describe('overrides of the preset’s image encoder');

const textOverrides = z
  .strictObject({
    maxPositions: positiveInt().optional().describe('longest text in tokens ([CLS] and [SEP] included); longer texts lose their end'),
    dim: positiveInt().optional().describe('text transformer width'),
    depth: positiveInt().optional().describe('text transformer blocks'),
    heads: positiveInt().optional().describe('attention heads'),
    mlpDim: positiveInt().optional().describe('MLP hidden width'),
  })
  .prefault({})
  .describe('overrides of the preset’s text encoder (the vocabulary size follows the tokenizer)');

const fusionOverrides = z
  .strictObject({
    dim: positiveInt().optional().describe('fusion width'),
    depth: positiveInt().optional().describe('co-attention layers'),
    heads: positiveInt().optional().describe('attention heads'),
    mlpDim: positiveInt().optional().describe('MLP hidden width'),
  })
  .prefault({})
  .describe('overrides of the preset’s co-attention fusion');

const modelSchema = z
  .strictObject({
    preset: z.enum(['tiny', 'small', 'base']).default('tiny').describe('`@umd/encoders` size preset (`tiny` is the CPU default)'),
    overrides: z
      .strictObject({ vision: visionOverrides, text: textOverrides, fusion: fusionOverrides })
      .prefault({})
      .describe('fields of the preset to change'),
    tokenizer: z
      .enum(['bert-base-uncased', 'trained'])
      .default('bert-base-uncased')
      .describe(
        '`bert-base-uncased` (30,522 WordPieces), or `trained`: a WordPiece vocabulary trained on the run’s texts, saved as `<out>/tokenizer.json` and reused on resume (smaller and faster; training is not bit-reproducible)',
      ),
    tokenizerVocabSize: z.number().int().min(100).default(2000).describe('vocabulary size of a `trained` tokenizer'),
  })
  .prefault({})
  .describe('the two-stream model');

const phantomSchema = z
  .strictObject({
    task: z.enum(['vqa', 'classification', 'retrieval']).default('vqa').describe('which phantom task is tuned and evaluated'),
    seed: z.number().int().min(0).default(0).describe('seeds the generated images, so every run seed sees the same data'),
    trainImages: positiveInt().default(300).describe('phantom train images (each has 4–7 questions, a caption and a label)'),
    validateImages: positiveInt().default(60).describe('phantom validation images'),
    testImages: positiveInt().default(60).describe('phantom test images'),
    size: z.number().int().min(32).default(64).describe('phantom image side in pixels (resized to the model’s imageSize)'),
  })
  .prefault({})
  .describe('the built-in synthetic data (only for `dataset: phantom`)');

const dataSchema = z
  .strictObject({
    dataset: z.enum(datasetNames).default('phantom').describe('the downstream dataset'),
    root: z
      .string()
      .min(1)
      .optional()
      .describe(
        'dataset folder, relative to `--data`/`UMD_DATA_DIR` (or absolute); default `vqa-rad`, `slake`, `medpix-2.0`; not used for phantom',
      ),
    imageCache: z
      .string()
      .nullable()
      .default('.cache/umd-images')
      .describe('on-disk cache of decoded, resized images, relative to the current folder; `null` for none'),
    memoryCacheMiB: z.number().int().min(0).default(256).describe('in-memory image cache in front of the disk cache'),
    validationFraction: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.1)
      .describe('share of training images carved out as the validation split where the dataset has none (VQA-RAD), by image, seeded'),
    answerVocabulary: z
      .enum(['train', 'all'])
      .default('train')
      .describe('VQA answer classes from the training answers (`train`), or from every split as M3AE does (`all`: for comparison only)'),
    phantom: phantomSchema,
  })
  .prefault({})
  .describe('where the data comes from');

const pretrainSchema = z
  .strictObject({
    objectives: z
      .enum(['data-level', 'full'])
      .default('full')
      .describe('MR-Pretrain terms: `data-level` (L_MIM + L_MLM + L_ITM) or `full` (plus L_FeaMIM + L_FeaMLM with the EMA teacher)'),
    corpus: z
      .enum(['auto', 'phantom', 'medpix'])
      .default('auto')
      .describe('image-caption pairs to pre-train on (train splits only): `auto` = phantom captions for phantom data, else MedPix 2.0 train'),
    corpusRoot: z.string().min(1).default('medpix-2.0').describe('MedPix 2.0 folder, relative to `--data`/`UMD_DATA_DIR` (or absolute)'),
    steps: positiveInt().optional().describe('optimizer steps (default 1000 unless `minutes` is given)'),
    minutes: positive()
      .optional()
      .describe('wall-clock budget instead of `steps`: three timed steps set the step count; the stage stops with a checkpoint when it runs out'),
    batchSize: z.number().int().min(2).default(32).describe('image-caption pairs per step'),
    learningRate: positive().default(3e-4).describe('peak AdamW learning rate (linear warm-up, then cosine to 1/100 of it)'),
    warmupSteps: z.number().int().min(0).optional().describe('warm-up steps (default 5% of the steps, at most 500)'),
    checkpointEvery: positiveInt().default(200).describe('checkpoint every this many steps (and at the end)'),
    pictureEvery: z.number().int().min(0).default(200).describe('reconstruction grid PNG every this many steps (and at the end); 0 = none'),
  })
  .refine((value) => !(value.steps !== undefined && value.minutes !== undefined), {
    message: 'give `steps` or `minutes`, not both',
    path: ['minutes'],
  })
  .prefault({})
  .describe('MR-Pretrain on image-caption pairs');

const calibrateSchema = z
  .strictObject({
    steps: positiveInt().default(200).describe('calibration steps on the downstream training images and texts'),
    batchSize: z.number().int().min(2).default(32).describe('samples per step'),
    learningRate: positive().optional().describe('peak AdamW learning rate (warm-up + cosine); default a tenth of the pre-training rate'),
    reestimateStatistics: z.boolean().default(true).describe('re-estimate the image normalisation on the downstream training images'),
    regularizer: z
      .strictObject({
        enabled: z.boolean().default(false).describe('keep a decaying reconstruction loss (the MR objectives) during task tuning'),
        start: z.number().min(0).default(0.1).describe('its weight at the first tuning step'),
        decaySteps: positiveInt().default(300).describe('tuning steps over which the weight decays to 0'),
      })
      .prefault({})
      .describe('TD-Calib’s reconstruction regularizer in the finetune stage (needs the calibrate stage)'),
  })
  .prefault({})
  .describe('TD-Calib: calibrate the pre-trained model to the downstream data');

const finetuneSchema = z
  .strictObject({
    epochs: positiveInt().default(10).describe('passes over the training split; the best validation epoch is kept'),
    batchSize: z.number().int().min(1).default(32).describe('samples per step'),
    learningRate: positive().default(1e-4).describe('AdamW base learning rate: the encoders’; fusion and head get multiples of it'),
    learningRateMultipliers: z
      .strictObject({
        encoders: z.number().min(0).default(defaultFinetuneMultipliers.encoders).describe('× learningRate for `vision.` and `text.` parameters'),
        fusion: z.number().min(0).default(defaultFinetuneMultipliers.fusion).describe('× learningRate for `fusion.` parameters'),
        heads: z.number().min(0).default(defaultFinetuneMultipliers.heads).describe('× learningRate for the new task head (`heads.`)'),
      })
      .prefault({})
      .describe('per-part learning rates (M3AE: 1, 5, 50)'),
    gmCoord: z
      .strictObject({
        enabled: z.boolean().default(false).describe('GM-Coord: scale the leading modality’s encoder gradients'),
        strategy: z.enum(strategyKinds).default('ogm-ge').describe('status signal and coefficient rule'),
        alpha: z.number().min(0).default(0.5).describe('modulation strength α (0 turns it off)'),
      })
      .prefault({})
      .describe('gradient-guided modality coordination'),
    blindImage: z.boolean().default(false).describe('blank every image: the question-only (caption-only) floor'),
  })
  .prefault({})
  .describe('task tuning (VQA, classification or retrieval, from the dataset)');

const evaluateSchema = z
  .strictObject({
    splits: z
      .array(z.enum(evaluationSplits))
      .min(1)
      .default(['validate', 'test'])
      .refine((splits) => new Set(splits).size === splits.length, { message: 'each split at most once' })
      .describe('splits to score with the tuned model (a split the dataset lacks is skipped with a note)'),
    bootstrapResamples: z.number().int().min(0).default(1000).describe('bootstrap resamples for the 95% intervals (0 = no intervals)'),
  })
  .prefault({})
  .describe('scoring the tuned model');

/** The zod schema of a pipeline config file (YAML or JSON). Strict: unknown keys are errors. */
export const pipelineConfigSchema = z
  .strictObject({
    name: z.string().min(1).describe('run name (default output folder `runs/<name>`)'),
    seed: z.number().int().min(0).default(0).describe('seeds the model, masks, loader order and validation carve-out'),
    model: modelSchema,
    data: dataSchema,
    stages: z
      .array(z.enum(stageNames))
      .min(1)
      .default([...stageNames])
      .refine((stages) => new Set(stages).size === stages.length, { message: 'each stage at most once' })
      .describe('which stages `run` executes (always in the order pretrain, calibrate, finetune, evaluate)'),
    pretrain: pretrainSchema,
    calibrate: calibrateSchema,
    finetune: finetuneSchema,
    evaluate: evaluateSchema,
  })
  .describe('a UMD pipeline');

/** A validated pipeline config, every default filled in. */
export type PipelineConfig = z.output<typeof pipelineConfigSchema>;
/** What a config file may contain (defaults optional). */
export type PipelineConfigInput = z.input<typeof pipelineConfigSchema>;
