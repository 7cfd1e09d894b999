import { InvalidConfigError } from '@umd/core';
import { createImagePipeline, type CaptionSample, type ImagePipelineConfig, type WordPieceTokenizer } from '@umd/data';

import {
  classPredictionScores,
  classProbabilities,
  loadTaskTuning,
  retrievalEvaluation,
  retrievalScores,
  withAttributeAgreement,
  type RetrievalSplitScores,
  type TaskEvaluation,
} from './evaluate-task.js';
import { checkTaskSamples, type TaskSample } from './task-samples.js';
import { taskClasses, type TaskSpec } from './task-spec.js';

/** One tuned model of an ensemble and what it reads. */
export interface EnsembleMember {
  /** A tuned checkpoint (`best.safetensors` of a run). */
  readonly checkpoint: string;
  /** The member reads no image (a text-only model). Default: what its checkpoint records (`blindImage` of its tuning). */
  readonly blindImage?: boolean;
  /** The member reads no text (an image-only model). Default: what its checkpoint records (`blindText` of its tuning). */
  readonly blindText?: boolean;
  /** Its share of the mean; default 1 (the weights are normalised to sum 1). */
  readonly weight?: number;
}

/** Options of {@link evaluateEnsemble}. */
export interface EvaluateEnsembleOptions {
  /** Two or more tuned models of the same task: VQA or classification with the same classes in the same order, or retrieval. */
  readonly members: readonly EnsembleMember[];
  /** Any split; test evaluation is the caller's decision. */
  readonly samples: readonly TaskSample[];
  readonly tokenizer: WordPieceTokenizer;
  /** Default 32. */
  readonly batchSize?: number;
  /** Pipeline settings besides size, channels, crop (centre) and normalisation (each checkpoint's own). */
  readonly image?: Omit<ImagePipelineConfig, 'size' | 'channels' | 'crop' | 'normalization'>;
  /** Retrieval: candidates re-ranked with each member's fused head per image and per caption. Default 20, as `evaluateTask`. */
  readonly topK?: number;
  /** Retrieval: each member's attribute agreement λ, in place of its tuning's (as `evaluateTask`'s). */
  readonly attributeAgreement?: number;
}

/**
 * Late fusion of tuned models, each member reading the samples as it was tuned (its image size and normalisation;
 * blank images or empty texts for a uni-modal member). VQA and classification: the argmax of the weighted mean of the
 * members' class probabilities (a text-only and an image-only model together are the uni-modal ensemble of Du et al.,
 * ICML 2023). Retrieval: every image ranked against every caption by the weighted mean of the members' scores (the
 * cosine of the projected embeddings where `topK` is 1; a seed ensemble averages out each model's own errors). Metrics
 * and predictions as `evaluateTask`'s. Members are loaded one at a time and disposed; no tensor is left behind.
 *
 * @throws InvalidConfigError for fewer than two members, members of different tasks or classes, a bad weight, or
 *   samples of another task
 */
export async function evaluateEnsemble(options: EvaluateEnsembleOptions): Promise<TaskEvaluation> {
  const { members, samples } = options;
  if (members.length < 2) throw new InvalidConfigError('members', members.length, 'two or more tuned checkpoints');
  for (const [index, member] of members.entries()) {
    const weight = member.weight ?? 1;
    if (!(weight > 0 && Number.isFinite(weight))) throw new InvalidConfigError(`members[${index}].weight`, weight, 'a finite number > 0');
  }
  if (samples.length === 0) throw new InvalidConfigError('samples', 0, 'at least one sample to evaluate');
  const started = performance.now();
  const total = members.reduce((sum, member) => sum + (member.weight ?? 1), 0);
  let task: TaskSpec | undefined;
  let mean: Float32Array | undefined; // the weighted mean of the members' values
  let retrieval: RetrievalSplitScores | undefined; // the first retrieval member's (images, captions, topK)
  let [pairsScored, firstStageMs, rerankMs] = [0, 0, 0];
  for (const [index, member] of members.entries()) {
    const { tuning, imageNormalization, metadata } = await loadTaskTuning(member.checkpoint);
    try {
      const stored = (metadata.config ?? {}) as { blindImage?: boolean; blindText?: boolean };
      const [blindImage, blindText] = [member.blindImage ?? stored.blindImage === true, member.blindText ?? stored.blindText === true];
      if (blindImage && blindText) throw new InvalidConfigError(`members[${index}]`, 'blindImage and blindText', 'at most one of them');
      const own = tuning.task;
      if (task && (task.kind === 'retrieval') !== (own.kind === 'retrieval')) {
        throw new InvalidConfigError(`members[${index}]`, member.checkpoint, `a ${task.kind} model, as the first member`);
      }
      if (task && task.kind !== 'retrieval' && own.kind !== 'retrieval' && taskClasses(task).join('\u0000') !== taskClasses(own).join('\u0000')) {
        throw new InvalidConfigError(`members[${index}]`, member.checkpoint, `a model of the first member's ${taskClasses(task).length} classes, in its order`);
      }
      task ??= own;
      if (index === 0) checkTaskSamples(own, samples, 'samples');
      const { imageSize, channels } = tuning.model.config.vision;
      const pipeline = createImagePipeline({
        ...options.image,
        size: imageSize,
        channels,
        crop: { kind: 'centre' },
        ...(imageNormalization ? { normalization: imageNormalization } : {}),
      });
      const inputs = {
        pipeline,
        tokenizer: options.tokenizer,
        batchSize: options.batchSize ?? 32,
        ...(blindImage ? { blindImage: true } : {}),
        ...(blindText ? { blindText: true } : {}),
      };
      let values: Float32Array; // this member's class probabilities [N, K] or image-caption scores [images, captions]
      if (own.kind === 'retrieval') {
        const scored = await retrievalScores(withAttributeAgreement(tuning, options.attributeAgreement), samples as readonly CaptionSample[], {
          ...inputs,
          ...(options.topK === undefined ? {} : { topK: options.topK }),
        });
        retrieval ??= scored;
        [pairsScored, firstStageMs, rerankMs] = [pairsScored + scored.pairsScored, firstStageMs + scored.firstStageMs, rerankMs + scored.rerankMs];
        values = scored.scores;
      } else {
        values = await classProbabilities(tuning, samples, inputs);
      }
      mean ??= new Float32Array(values.length);
      const share = (member.weight ?? 1) / total;
      for (let i = 0; i < values.length; i++) mean[i]! += share * values[i]!;
    } finally {
      tuning.model.dispose();
    }
  }
  if (task!.kind === 'retrieval') {
    const scored = { ...retrieval!, scores: mean!, pairsScored, firstStageMs, rerankMs };
    return { ...retrievalEvaluation(samples as readonly CaptionSample[], scored), samples: samples.length, ms: performance.now() - started };
  }
  const K = taskClasses(task!).length;
  const predicted = new Int32Array(samples.length);
  for (let n = 0; n < samples.length; n++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (mean![n * K + k]! > mean![n * K + best]!) best = k;
    predicted[n] = best;
  }
  return { ...classPredictionScores(task!, samples, predicted), samples: samples.length, ms: performance.now() - started };
}
