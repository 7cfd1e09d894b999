import type * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, type Module, type SeededRandom } from '@umd/core';
import type { FusionPooling, UmdModel } from '@umd/encoders';

import { AttributeHeads } from './heads/attribute-heads.js';
import { ClassifierHead } from './heads/classifier-head.js';
import { ItmHead } from '@umd/encoders';
import { RetrievalProjection } from './heads/retrieval-projection.js';
import { taskClasses, validateTaskSpec, type TaskSpec } from './task-spec.js';

/** The task heads, each registered in `model.heads` under its key; only the task's own are present. */
export interface TaskHeads {
  /** `heads.vqa`: M3AE's VQA head (hidden width 2·2D by default). */
  readonly vqa?: ClassifierHead;
  /** `heads.classifier`: the image-text classification head (hidden width 2D by default). */
  readonly classifier?: ClassifierHead;
  /** `heads.itm`: the fused matching head (retrieval). */
  readonly itm?: ItmHead;
  /** `heads.retrieval`: projections of the unimodal CLS features for the cosine first stage (retrieval). */
  readonly retrieval?: RetrievalProjection;
  /**
   * `heads.attributes`: auxiliary attribute classifiers (with `attributes.fields`), on the retrieval space (retrieval)
   * or on the pooled pair (VQA, classification).
   */
  readonly attributes?: AttributeHeads;
  /**
   * `heads.imageAttributes`: the same fields predicted from the image encoder's mean-pooled tokens alone (with
   * `attributes.imageHeads`; VQA and classification), so the image stream learns them without the text.
   */
  readonly imageAttributes?: AttributeHeads;
  /**
   * `heads.imageClassifier`: the class head's layout on the image encoder's mean-pooled tokens alone (with
   * `imageHead`; VQA and classification): trained on the same targets, and blended into the prediction.
   */
  readonly imageClassifier?: ClassifierHead;
}

/**
 * An image-only class head beside the fused one (VQA and classification): a uni-modal branch trained on the same
 * targets, whose probabilities are blended into the prediction — the late-fusion remedy for a model that leans on the
 * text and leaves the image under-trained.
 */
export interface ImageHeadOptions {
  /** Weight of its class loss (term `imageClass`). Default 1. */
  readonly weight?: number;
  /** λ of the prediction p = (1 − λ)·softmax(fused logits) + λ·softmax(image logits), in [0, 1]. Default 0.5. */
  readonly blend?: number;
}

/** Retrieval settings: the losses that train the two stages and how negatives are drawn. */
export interface RetrievalTuningOptions {
  /** Width P of the shared space of the first stage. Default 64. */
  readonly projectionDim?: number;
  /** InfoNCE temperature τ (logits = cosine / τ); also used to weight hard negatives. Default 0.07. */
  readonly temperature?: number;
  /**
   * Draw the in-batch ITM negatives in proportion to softmax(first-stage similarity / τ) (ALBEF's hard negatives)
   * rather than uniformly. Default true.
   */
  readonly hardNegatives?: boolean;
  /** Weight of the InfoNCE term. Default 1. */
  readonly contrastiveWeight?: number;
  /** Weight of the ITM term. Default 1. */
  readonly itmWeight?: number;
  /**
   * λ of the attribute agreement in the first-stage score: cosine + λ · Σ_f softmax(h_f(image)) · softmax(h_f(caption)),
   * h_f the attribute heads (needs `attributes.fields`): the probability that image and caption share field f's
   * value, summed over fields. Used in validation, evaluation and bundles alike. Default 0 (the cosine alone).
   */
  readonly attributeAgreement?: number;
}

/**
 * Auxiliary attribute targets: each training sample's `attributes[field]` (see `@umd/data`'s samples, e.g. MedPix's
 * `Type`, `Plane`, `Location`, `Location Category`) is predicted by one classifier per field ({@link AttributeHeads}).
 * Retrieval: the SAME classifier reads the image embedding and the caption embedding of the retrieval space, so both
 * learn the attribute. VQA and classification: it reads the pooled pair the class head reads (multi-task). Samples
 * without the field, or with a value outside `classes`, are not counted. Evaluation never reads attributes.
 */
export interface AttributeTargetOptions {
  /** The attribute fields to predict. Default none (no term, no head). */
  readonly fields?: readonly string[];
  /** Weight of the term (the mean cross-entropy over fields and, for retrieval, both modalities). Default 1. */
  readonly weight?: number;
  /**
   * field → class names. `runTaskTuning` fills it from the training samples (sorted) when absent; a rebuilt model
   * (evaluation, resume) reads it from the stored config, so the head's shape never depends on other data.
   */
  readonly classes?: Readonly<Record<string, readonly string[]>>;
  /**
   * VQA and classification: also predict every field from the image encoder's tokens alone (their mean, through a
   * second set of heads, `heads.imageAttributes`), added to the attribute term with the same weight. The pooled pair
   * can lean on the text and let the image stream idle; this term asks the image stream itself for the attributes.
   * Retrieval refuses it (its heads already read the image embedding). Default false.
   */
  readonly imageHeads?: boolean;
}

/** {@link AttributeTargetOptions} with every default filled in (`imageHeads` present only when true). */
export type ResolvedAttributeTargets = Required<Omit<AttributeTargetOptions, 'imageHeads'>> & { readonly imageHeads?: true };

/** Options of {@link createTaskTuning}. */
export interface TaskTuningOptions {
  /** Receives the heads (create the optimizer afterwards). */
  readonly model: UmdModel;
  readonly task: TaskSpec;
  /** Initialises the heads, then draws the retrieval negatives (pass the run's generator so resume is exact). */
  readonly random: SeededRandom;
  /** Hidden width of the classifier head as a multiple of 2D. Default 2 for VQA, 1 for classification (as M3AE). */
  readonly hiddenMultiplier?: number;
  /**
   * How the heads see the fused streams (see `FusionPooling` in @umd/encoders). Default `'cls'` (M3AE's pooled pair).
   * `'mean'` averages each stream's tokens: in from-scratch and MR-pre-trained `tiny` models the CLS features barely
   * differ between inputs (about 1% of their magnitude across a batch), so the mean is the more input-dependent summary.
   */
  readonly pooling?: FusionPooling;
  readonly retrieval?: RetrievalTuningOptions;
  /** Auxiliary attribute targets (default none). */
  readonly attributes?: AttributeTargetOptions;
  /** An image-only class head blended into the prediction (VQA and classification; default none). */
  readonly imageHead?: ImageHeadOptions;
}

/** Everything {@link finetuneStep}, {@link predictTask} and {@link scoreRetrieval} need besides the optimizer. */
export interface TaskTuning {
  readonly model: UmdModel;
  readonly task: TaskSpec;
  readonly heads: TaskHeads;
  readonly random: SeededRandom;
  /** K: answers or labels; 0 for retrieval. */
  readonly numClasses: number;
  /** The class head as a function, pooled [B, 2D] → logits [B, K]; undefined for retrieval. */
  readonly classify: ((pooled: tf.Tensor2D) => tf.Tensor2D) | undefined;
  /** The resolved retrieval settings (defaults filled in; unused by the other tasks). */
  readonly retrieval: Required<RetrievalTuningOptions>;
  /** The resolved attribute targets (`fields` empty: none). */
  readonly attributes: ResolvedAttributeTargets;
  /** How `fusion.pooled` is formed in every forward pass of the tuning. */
  readonly pooling: FusionPooling;
  /** The resolved image-only head (with `heads.imageClassifier`), absent without one. */
  readonly imageHead?: Required<ImageHeadOptions>;
}

/**
 * Validates `task` and registers its heads in `model.heads`: `heads.vqa` (VQA), `heads.classifier` (classification),
 * or `heads.itm` and `heads.retrieval` (retrieval). Create the optimizer from `model.parameters()` after this.
 * The heads belong to the model: `model.dispose()` frees them.
 *
 * @throws InvalidConfigError for an invalid task or option, or when the model already has these heads
 */
export function createTaskTuning(options: TaskTuningOptions): TaskTuning {
  const { model, task, random } = options;
  validateTaskSpec(task);
  const pooledDim = 2 * model.config.fusion.dim;
  const retrieval = resolveRetrievalOptions(options.retrieval);
  const attributes = resolveAttributes(options.attributes);
  const pooling = options.pooling ?? 'cls';
  if (pooling !== 'mean' && pooling !== 'cls') throw new InvalidConfigError('pooling', pooling, "'mean' or 'cls'");
  const register = <M extends Module>(name: string, head: M): M => {
    if (model.heads.get(name)) throw new InvalidConfigError('model.heads', name, `a model without a '${name}' head (create the tuning once per model)`);
    return model.heads.register<M>(name, head);
  };
  const imageHead = resolveImageHead(options.imageHead);
  if (task.kind === 'retrieval') {
    if (imageHead) throw new InvalidConfigError('imageHead', options.imageHead, 'none for retrieval (it has no class head)');
    if (attributes.imageHeads) {
      throw new InvalidConfigError('attributes.imageHeads', true, 'false for retrieval (its attribute heads already read the image embedding)');
    }
    if (retrieval.attributeAgreement > 0 && attributes.fields.length === 0) {
      throw new InvalidConfigError('retrieval.attributeAgreement', retrieval.attributeAgreement, '0 without attribute targets (attributes.fields)');
    }
    const heads: TaskHeads = {
      itm: register('itm', new ItmHead(pooledDim, random)),
      retrieval: register('retrieval', new RetrievalProjection(model.config.vision.dim, model.config.text.dim, retrieval.projectionDim, random)),
      ...(attributes.fields.length > 0
        ? { attributes: register('attributes', new AttributeHeads(retrieval.projectionDim, attributes.classes, 1 / retrieval.temperature, random)) }
        : {}),
    };
    return { model, task, heads, random, numClasses: 0, classify: undefined, retrieval, attributes, pooling };
  }
  const multiplier = options.hiddenMultiplier ?? (task.kind === 'vqa' ? 2 : 1);
  if (!(Number.isInteger(multiplier) && multiplier >= 1)) throw new InvalidConfigError('hiddenMultiplier', multiplier, 'an integer ≥ 1');
  const numClasses = taskClasses(task).length;
  const head = register(task.kind === 'vqa' ? 'vqa' : 'classifier', new ClassifierHead(pooledDim, multiplier * pooledDim, numClasses, random));
  const heads: TaskHeads = {
    ...(task.kind === 'vqa' ? { vqa: head } : { classifier: head }),
    ...(attributes.fields.length > 0 ? { attributes: register('attributes', new AttributeHeads(pooledDim, attributes.classes, 1, random)) } : {}),
    ...(attributes.fields.length > 0 && attributes.imageHeads
      ? { imageAttributes: register('imageAttributes', new AttributeHeads(model.config.vision.dim, attributes.classes, 1, random)) }
      : {}),
    ...(imageHead
      ? { imageClassifier: register('imageClassifier', new ClassifierHead(model.config.vision.dim, model.config.vision.dim, numClasses, random)) }
      : {}),
  };
  return {
    model,
    task,
    heads,
    random,
    numClasses,
    classify: (pooled) => head.forward(pooled),
    retrieval,
    attributes,
    pooling,
    ...(imageHead ? { imageHead } : {}),
  };
}

function resolveImageHead(options: ImageHeadOptions | undefined): Required<ImageHeadOptions> | undefined {
  if (options === undefined) return undefined;
  const resolved = { weight: options.weight ?? 1, blend: options.blend ?? 0.5 };
  if (!(resolved.weight >= 0 && Number.isFinite(resolved.weight))) throw new InvalidConfigError('imageHead.weight', resolved.weight, 'a finite number ≥ 0');
  if (!(resolved.blend >= 0 && resolved.blend <= 1)) throw new InvalidConfigError('imageHead.blend', resolved.blend, 'a number in [0, 1]');
  return resolved;
}

function resolveRetrievalOptions(options: RetrievalTuningOptions = {}): Required<RetrievalTuningOptions> {
  const resolved = {
    projectionDim: options.projectionDim ?? 64,
    temperature: options.temperature ?? 0.07,
    hardNegatives: options.hardNegatives ?? true,
    contrastiveWeight: options.contrastiveWeight ?? 1,
    itmWeight: options.itmWeight ?? 1,
    attributeAgreement: options.attributeAgreement ?? 0,
  };
  if (!(Number.isInteger(resolved.projectionDim) && resolved.projectionDim > 0)) {
    throw new InvalidConfigError('retrieval.projectionDim', resolved.projectionDim, 'a positive integer');
  }
  if (!(resolved.temperature > 0 && Number.isFinite(resolved.temperature))) {
    throw new InvalidConfigError('retrieval.temperature', resolved.temperature, 'a finite number > 0');
  }
  for (const key of ['contrastiveWeight', 'itmWeight', 'attributeAgreement'] as const) {
    if (!(resolved[key] >= 0 && Number.isFinite(resolved[key]))) throw new InvalidConfigError(`retrieval.${key}`, resolved[key], 'a finite number ≥ 0');
  }
  return resolved;
}

function resolveAttributes(options: AttributeTargetOptions = {}): ResolvedAttributeTargets {
  const fields = [...(options.fields ?? [])];
  const weight = options.weight ?? 1;
  const classes = options.classes ?? {};
  if (new Set(fields).size !== fields.length || fields.some((field) => typeof field !== 'string' || field === '')) {
    throw new InvalidConfigError('attributes.fields', fields, 'distinct, non-empty field names');
  }
  if (!(weight >= 0 && Number.isFinite(weight))) throw new InvalidConfigError('attributes.weight', weight, 'a finite number ≥ 0');
  const missing = fields.find((field) => !classes[field]);
  if (missing !== undefined) {
    throw new InvalidConfigError(
      `attributes.classes['${missing}']`,
      undefined,
      'the class names of every field (runTaskTuning fills them from the training samples)',
    );
  }
  if (options.imageHeads !== undefined && typeof options.imageHeads !== 'boolean') {
    throw new InvalidConfigError('attributes.imageHeads', options.imageHeads, 'true or false');
  }
  if (options.imageHeads && fields.length === 0) throw new InvalidConfigError('attributes.imageHeads', true, 'false without attribute fields');
  // Only the listed fields, in their order: the head's shape follows `fields`.
  const resolved = { fields, weight, classes: Object.fromEntries(fields.map((field) => [field, [...classes[field]!]])) };
  return options.imageHeads ? { ...resolved, imageHeads: true } : resolved;
}
