import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom } from '@umd/core';
import { loadImageBatch, sampleText, type ImagePipeline, type Sample, type WordPieceTokenizer } from '@umd/data';
import { drawMrPretrainPlan, mrPretrainLosses, type MrPretrainPlan, type MrPretraining, type MrTerm } from '@umd/mr-pretrain';

/** The MR losses of a model on a fixed evaluation set: each enabled term (unweighted) and the weighted total. */
export type MrLossValues = Partial<Record<MrTerm, number>> & { readonly total: number };

/** A fixed set of downstream training batches with fixed masks and ITM pairings: measurements compare like with like. */
export interface FixedEvaluation {
  readonly batches: readonly FixedEvaluationBatch[];
}

interface FixedEvaluationBatch {
  readonly samples: readonly Sample[];
  /** [B, T] row-major. */
  readonly tokenIds: Int32Array;
  readonly attentionMask: Int32Array;
  readonly wordIds: Int32Array;
  readonly plan: MrPretrainPlan;
}

/**
 * Picks `batches` full batches of `batchSize` samples (a seeded choice) and draws their masks and pairings once, from
 * a generator of their own (`td-calib/evaluation:<seed>`): the run's generator is left alone.
 */
export function createFixedEvaluation(
  pretraining: MrPretraining,
  samples: readonly Sample[],
  options: { readonly tokenizer: WordPieceTokenizer; readonly batchSize: number; readonly batches: number; readonly seed: number },
): FixedEvaluation {
  const { tokenizer, batchSize: B } = options;
  const random = new SeededRandom(`td-calib/evaluation:${options.seed}`);
  const order = random.permutation(samples.length);
  const count = Math.max(1, Math.min(options.batches, Math.floor(samples.length / B)));
  const { imageSize: S, channels: C } = pretraining.model.config.vision;
  const batches: FixedEvaluationBatch[] = [];
  for (let k = 0; k < count; k++) {
    const chosen = Array.from(order.subarray(k * B, (k + 1) * B), (index) => samples[index]!);
    const text = tokenizer.encodeBatch(chosen.map(sampleText), { maxLength: pretraining.model.config.text.maxPositions });
    const shapeOnly = tf.zeros([chosen.length, S, S, C]); // the plan reads the batch's shape, not its pixels
    try {
      const batch = { images: shapeOnly, tokenIds: text.inputIds.data, attentionMask: text.attentionMask.data, wordIds: text.wordIds.data };
      batches.push({ samples: chosen, ...batch, plan: drawMrPretrainPlan(pretraining, batch, random) });
    } finally {
      shapeOnly.dispose();
    }
  }
  return { batches };
}

/**
 * The MR losses of `pretraining` on `evaluation`, with images through `pipeline` (its normalisation decides what the
 * model sees): the mean over the batches of each term and of the total. Forward passes only, in eval mode, with the
 * evaluation's fixed plans: no weight, no teacher and no generator changes. Frees every tensor it creates.
 */
export async function measureMrLosses(pretraining: MrPretraining, evaluation: FixedEvaluation, pipeline: ImagePipeline): Promise<MrLossValues> {
  const { model, teacher } = pretraining;
  const sums = new Map<MrTerm | 'total', number>();
  const wasTraining = model.training;
  model.eval();
  teacher?.model.eval();
  try {
    for (const batch of evaluation.batches) {
      const pixels = await loadImageBatch(
        pipeline,
        batch.samples.map((sample) => sample.image),
      );
      const images = tf.tensor4d(pixels.data, pixels.shape as [number, number, number, number]);
      try {
        const { names, values } = tf.tidy(() => {
          const { total, terms } = mrPretrainLosses(pretraining, { ...batch, images }, batch.plan);
          const termNames = (Object.keys(terms) as MrTerm[]).filter((name) => terms[name] !== undefined);
          return { names: termNames, values: tf.stack([total, ...termNames.map((name) => terms[name]!)]) };
        });
        const read = await values.data();
        values.dispose();
        (['total', ...names] as const).forEach((name, i) => sums.set(name, (sums.get(name) ?? 0) + read[i]!));
      } finally {
        images.dispose();
      }
    }
  } finally {
    model.train(wasTraining);
    teacher?.model.train(wasTraining);
  }
  const count = evaluation.batches.length;
  return Object.fromEntries([...sums].map(([name, sum]) => [name, sum / count])) as MrLossValues;
}
