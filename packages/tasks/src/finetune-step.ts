import * as tf from '@tensorflow/tfjs-core';
import { InvalidConfigError, SeededRandom, softmaxCrossEntropy, tidyStruct, valueAndGrads, type AdamW, type NamedTensors } from '@umd/core';
import { randomPatchMasking } from '@umd/encoders';
import type { Coordination, Coordinator } from '@umd/gm-coord';
import { modulateGradients, readSignals, signalTensor, unimodalLogits } from '@umd/gm-coord/tfjs';

import { retrievalLosses } from './retrieval-losses.js';
import { batchTensors, tokenIdArray, type TaskBatch } from './task-batch.js';
import type { TaskTuning } from './task-tuning.js';

/** An extra loss added inside the step's gradient tape (TD-Calib's decaying reconstruction loss plugs in here). */
export interface AuxiliaryLoss {
  /**
   * Called INSIDE the gradient tape of the step, with the 1-based step being taken; returns a weighted scalar (added
   * to the task loss) or undefined (e.g. its weight decayed to 0). Do not dispose what it creates: the step's tidy does.
   */
  compute(batch: TaskBatch, step: number): tf.Scalar | undefined;
  /** Its key in `terms` and in `metrics.jsonl`. */
  readonly name: string;
}

/** Options of {@link finetuneStep}. */
export interface FinetuneStepOptions {
  /**
   * GM-Coord: modalities `text` and `vision`. The step computes each modality's unimodal logits from its half of the
   * pooled pair with the task head (OGM-GE), feeds the coordinator, and scales the dominant modality's ENCODER
   * gradients (`vision.*` or `text.*`) before the optimizer. Not for retrieval (no class head).
   */
  readonly coordinator?: Coordinator;
  readonly auxiliary?: AuxiliaryLoss;
  /** Seed of GM-Coord's GE noise (when its strategy adds noise). Default 0. */
  readonly noiseSeed?: number;
  /** Label smoothing ε in [0, 1) of the class loss (VQA, classification; see `softmaxCrossEntropy` in @umd/core). Default 0. */
  readonly labelSmoothing?: number;
  /**
   * Patch dropout: the fraction of image tokens each training sample leaves out, in [0, 1) (VQA, classification; not
   * retrieval). Every sample keeps the same number, Lv = round(L·(1 − ratio)), drawn afresh each step from `noiseSeed`
   * and the step (so a resumed run draws the same). Evaluation always sees every token. Default 0 (none).
   */
  readonly imageTokenDrop?: number;
  /**
   * [K] per-class weights of the class loss (see `classBalanceWeights`): each sample's loss is scaled by its class's
   * weight (and the mean taken over the counted samples, as without weights). Not for retrieval. Default: none.
   */
  readonly classWeights?: ArrayLike<number>;
}

/** What GM-Coord did in one step. */
export interface StepCoordination {
  /** Gradient coefficient per modality (`text`, `vision`): 1 = unchanged. */
  readonly coefficients: Readonly<Record<string, number>>;
  /** OGM-GE's score per modality: Σ over the batch of the unimodal prediction's true-class probability. */
  readonly scores: Readonly<Record<string, number>>;
  /** Mean cross-entropy of each modality's unimodal prediction. */
  readonly losses: Readonly<Record<string, number>>;
  /** The coordinator's full answer (ratios, window, noise), for traces. */
  readonly coordination: Coordination;
}

export interface FinetuneStepResult {
  /** The total loss (task terms + auxiliary), a scalar the caller owns. */
  readonly loss: tf.Scalar;
  /**
   * Each term as a scalar the caller owns: `vqa` or `classification` (cross-entropy), or `itm` and `contrastive`
   * (retrieval, unweighted); `attributes` (unweighted) with attribute heads; `imageClass` (unweighted) with an image-only head; plus the auxiliary loss under its name (weighted), when it returned one.
   */
  readonly terms: Record<string, tf.Scalar>;
  /** Present when a coordinator was given and the batch had a target to score. */
  readonly coordination?: StepCoordination;
}

const modalities = ['text', 'vision'] as const;
const encoderGroups = { text: 'text.', vision: 'vision.' } as const;

/**
 * One synchronous task-tuning step: forward pass, task loss (softmax cross-entropy over the classes, label-smoothed
 * when asked, samples with target −1 masked out; retrieval: ITM on matched pairs and in-batch negatives + InfoNCE), the auxiliary loss if any,
 * gradients of `model.parameters()`, GM-Coord's modulation of the encoder gradients if a coordinator is given, and
 * the optimizer update (its parameter groups set the per-group learning rates, see {@link finetuneParameterGroups}).
 *
 * With a coordinator the step reads the unimodal signals back (one sync point); retrieval reads its similarity
 * matrix back to draw negatives. For core's `trainLoop`, dispose the terms and return the loss.
 *
 * @returns the loss and terms (the caller owns them); the batch is borrowed
 * @throws ShapeMismatchError when the batch does not fit; InvalidConfigError for targets missing on a classifying
 *   task, a coordinator or label smoothing on retrieval, a coordinator with modalities other than `text` and
 *   `vision`, or a label smoothing outside [0, 1)
 */
export function finetuneStep(tuning: TaskTuning, optimizer: AdamW, batch: TaskBatch, options: FinetuneStepOptions = {}): FinetuneStepResult {
  const { model, task } = tuning;
  const { coordinator, auxiliary } = options;
  if (coordinator) checkCoordinator(tuning, coordinator);
  if (options.labelSmoothing && task.kind === 'retrieval') {
    throw new InvalidConfigError('labelSmoothing', options.labelSmoothing, "0 for retrieval (it smooths a class head's targets; retrieval has none)");
  }
  const classWeights = options.classWeights;
  if (classWeights && task.kind === 'retrieval') {
    throw new InvalidConfigError('classWeights', classWeights.length, 'none for retrieval (it weights class targets; retrieval has none)');
  }
  if (classWeights && classWeights.length !== tuning.numClasses) {
    throw new InvalidConfigError('classWeights', classWeights.length, `one weight per class (${tuning.numClasses})`);
  }
  const drop = options.imageTokenDrop ?? 0;
  if (drop && task.kind === 'retrieval') {
    throw new InvalidConfigError('imageTokenDrop', drop, '0 for retrieval (patch dropout is for tasks with a class head)');
  }
  const targets = batch.targets;
  if (task.kind !== 'retrieval' && targets === undefined) {
    throw new InvalidConfigError('batch.targets', undefined, `class indices [B] for task '${task.kind}' (−1 = outside the vocabulary)`);
  }
  const tokenIds = task.kind === 'retrieval' ? tokenIdArray(batch) : undefined;
  const step = optimizer.step + 1;

  return tidyStruct('tasks/finetune-step', () => {
    const inputs = batchTensors(batch, 'finetuneStep');
    const visibleIndices = drop ? droppedPatches(tuning, inputs.images, drop, options.noiseSeed ?? 0, step) : undefined;
    const terms: Record<string, tf.Scalar> = {};
    let pooled: tf.Tensor2D | undefined;
    const { value, grads } = valueAndGrads(() => {
      const weighted: tf.Scalar[] = [];
      const add = (name: string, loss: tf.Scalar, weight: number): void => {
        terms[name] = tf.keep(loss); // survives the tape's tidy; returned to the caller
        weighted.push(weight === 1 ? loss : tf.mul(loss, weight));
      };
      if (task.kind === 'retrieval') {
        const losses = retrievalLosses(tuning, inputs, batch, tokenIds!);
        add('itm', losses.itm, tuning.retrieval.itmWeight);
        add('contrastive', losses.contrastive, tuning.retrieval.contrastiveWeight);
        if (losses.attributes) add('attributes', losses.attributes, tuning.attributes.weight);
      } else {
        const out = model.forward({
          images: inputs.images,
          ...(visibleIndices ? { visibleIndices } : {}),
          tokenIds: inputs.tokenIds,
          attentionMask: inputs.attentionMask,
          pooling: tuning.pooling,
        });
        if (coordinator) pooled = tf.keep(out.fusion.pooled); // read after the tape, for the unimodal signals
        const classLoss = (logits: tf.Tensor2D): tf.Scalar =>
          classWeights
            ? softmaxCrossEntropy(logits, { distributions: weightedTargets(targets!, classWeights, options.labelSmoothing ?? 0) })
            : softmaxCrossEntropy(logits, { classes: targets! }, options.labelSmoothing ? { smoothing: options.labelSmoothing } : {});
        add(task.kind, classLoss(tuning.classify!(out.fusion.pooled)), 1);
        if (tuning.heads.imageClassifier && tuning.imageHead) {
          // [B, K] from the image stream alone, on the same targets
          add('imageClass', classLoss(tuning.heads.imageClassifier.forward(tf.mean(out.vision, 1))), tuning.imageHead.weight);
        }
        if (tuning.heads.attributes) add('attributes', tuning.heads.attributes.loss([out.fusion.pooled], batch.attributes), tuning.attributes.weight);
        if (tuning.heads.imageAttributes) {
          const image = tf.mean(out.vision, 1) as tf.Tensor2D; // [B, Dv]: the image stream alone
          add('imageAttributes', tuning.heads.imageAttributes.loss([image], batch.attributes), tuning.attributes.weight);
        }
      }
      const extra = auxiliary?.compute(batch, step);
      if (extra) add(auxiliary!.name, extra, 1);
      return tf.addN(weighted) as tf.Scalar;
    }, model.parameters());

    let coordination: StepCoordination | undefined;
    let applied: NamedTensors = grads;
    if (coordinator && pooled) {
      coordination = coordinate(tuning, coordinator, pooled, targets!, grads);
      pooled.dispose();
      if (coordination) applied = modulateGradients(grads, coordination.coordination, { groups: encoderGroups, seed: options.noiseSeed ?? 0 });
    }
    optimizer.applyGradients(applied);
    return { loss: value, terms, ...(coordination ? { coordination } : {}) };
  });
}

/**
 * [B, K] target rows w_y · ((1 − ε)·one-hot(y) + ε/K): the class weight scales the sample's (label-smoothed) loss; a
 * target −1 gives an all-zero row, which the loss does not count.
 */
function weightedTargets(targets: ArrayLike<number>, weights: ArrayLike<number>, smoothing: number): tf.Tensor2D {
  const [B, K] = [targets.length, weights.length];
  const rows = new Float32Array(B * K);
  for (let b = 0; b < B; b++) {
    const y = targets[b]!;
    if (y < 0 || y >= K) continue;
    const w = weights[y]!;
    for (let k = 0; k < K; k++) rows[b * K + k] = (w * smoothing) / K;
    rows[b * K + y]! += w * (1 - smoothing);
  }
  return tf.tensor2d(rows, [B, K]);
}

/** [B, Lv] int32: the image tokens each sample keeps this step (patch dropout), drawn from (seed, step). */
function droppedPatches(tuning: TaskTuning, images: tf.Tensor4D, ratio: number, seed: number, step: number): tf.Tensor2D {
  const [B, H, W] = images.shape;
  const masking = randomPatchMasking(B, tuning.model.vision.patchCount(H, W), {
    ratio,
    random: new SeededRandom(`tasks:patch-dropout:${seed}:${step}`),
    field: 'imageTokenDrop',
  });
  return tf.tensor2d(masking.visibleIndices, [B, masking.visibleCount], 'int32');
}

function checkCoordinator(tuning: TaskTuning, coordinator: Coordinator): void {
  if (tuning.task.kind === 'retrieval') {
    throw new InvalidConfigError(
      'coordinator',
      'GM-Coord on retrieval',
      "a task with a class head ('vqa' or 'classification'): retrieval has no unimodal prediction to score, so GM-Coord is unsupported there",
    );
  }
  const names = [...coordinator.modalities].sort();
  if (names.length !== 2 || names[0] !== 'text' || names[1] !== 'vision') {
    throw new InvalidConfigError('coordinator.modalities', coordinator.modalities, "['text', 'vision'] (the halves of the pooled pair)");
  }
}

/**
 * OGM-GE's signals from the pooled pair [text CLS ; image CLS]: the task head applied with the other half zeroed, its
 * true-class probability summed over the valid samples (score) and its mean cross-entropy (loss), plus each encoder's
 * gradient RMS; one read-back, then the coordinator's update. Undefined when no sample has a valid target.
 */
function coordinate(tuning: TaskTuning, coordinator: Coordinator, pooled: tf.Tensor2D, targets: Int32Array, grads: NamedTensors): StepCoordination | undefined {
  const K = tuning.numClasses;
  const D = tuning.model.config.fusion.dim;
  if (!targets.some((target) => target >= 0 && target < K)) return undefined;
  const segments = [
    { modality: 'text', width: D },
    { modality: 'vision', width: D },
  ]; // pooled = [text CLS ; image CLS]
  const packed = tf.tidy('tasks/unimodal-signals', () =>
    signalTensor(
      unimodalLogits(tuning.classify!, pooled, segments),
      tf.tensor1d(
        Int32Array.from(targets, (target) => (target < K ? target : -1)),
        'int32',
      ),
      {
        gradients: grads,
        groups: encoderGroups,
      },
    ),
  );
  const numbers = packed.dataSync();
  packed.dispose();
  const signals = readSignals(numbers, modalities, true) as Record<string, { score: number; loss: number; gradientNorm: number }>;
  const scores = Object.fromEntries(modalities.map((modality) => [modality, signals[modality]!.score]));
  const losses = Object.fromEntries(modalities.map((modality) => [modality, signals[modality]!.loss]));
  const coordination = coordinator.update(signals);
  return { coefficients: coordination.coefficients, scores, losses, coordination };
}
