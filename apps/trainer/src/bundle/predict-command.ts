import path from 'node:path';

import type { ReadDicomOptions } from '@umd/data';
import { loadModelBundle, ModelBundleError, predictCaptionsWithBundle, predictWithBundle, type BundlePrediction } from '@umd/tasks';

/** Options of `umd-train predict`. */
export interface PredictOptions {
  readonly model: string;
  readonly image: string;
  /** The question (VQA) or the text paired with the image (classification). */
  readonly text: string;
  readonly topK: number;
  /** DICOM inputs: the VOI window and frame. */
  readonly dicom?: ReadDicomOptions;
  /** Retrieval models: the captions to rank (`--captions FILE`, one per line). */
  readonly captions?: readonly string[];
}

/** What `umd-train predict --json` prints: the input, each class with its probability, and the timings. */
export interface PredictOutput {
  readonly model: string;
  readonly image: string;
  readonly text: string;
  readonly task: 'vqa' | 'classification' | 'retrieval';
  /** VQA and classification: the top classes. Retrieval: the best captions, `probability` = P(match) when re-ranked. */
  readonly answers: readonly { readonly answer: string; readonly probability?: number; readonly cosine?: number }[];
  readonly loadMs: number;
  readonly predictMs: number;
}

/**
 * Loads the bundle and answers one image + text. The image is read as a file: PNG (16-bit ones scaled by their
 * range), JPEG, anything sharp decodes, or DICOM Part 10 (windowed as `options.dicom` says).
 *
 * @throws ModelBundleError (bundle or input), ImageDecodeError naming the image
 */
export async function predictCommand(options: PredictOptions): Promise<PredictOutput> {
  const bundle = await loadModelBundle(options.model, options.dicom ? { dicom: options.dicom } : {});
  try {
    const image = path.resolve(options.image);
    const retrieval = bundle.config.task.kind === 'retrieval';
    if (retrieval !== (options.captions !== undefined)) {
      throw new ModelBundleError(
        bundle.dir,
        'input',
        retrieval
          ? 'this is a retrieval model: give the captions to rank with --captions FILE (one per line)'
          : `--captions is for retrieval models; this is a ${bundle.config.task.kind} model`,
      );
    }
    if (options.captions) {
      const { ranked, ms } = await predictCaptionsWithBundle(bundle, [{ kind: 'file', path: image }], options.captions, { topK: options.topK });
      return {
        model: bundle.dir,
        image,
        text: '',
        task: 'retrieval',
        answers: ranked[0]!.map((entry) => ({
          answer: entry.caption,
          ...(entry.probability === undefined ? {} : { probability: entry.probability }),
          cosine: entry.cosine,
        })),
        loadMs: bundle.loadMs,
        predictMs: ms,
      };
    }
    const [prediction] = (await predictWithBundle(bundle, [{ image: { kind: 'file', path: image }, text: options.text }], { topK: options.topK })) as [
      BundlePrediction,
    ];
    return {
      model: bundle.dir,
      image,
      text: options.text,
      task: prediction.kind,
      answers: prediction.ranked.map((entry) => ({ answer: entry.name, probability: entry.probability })),
      loadMs: bundle.loadMs,
      predictMs: prediction.ms,
    };
  } finally {
    bundle.dispose();
  }
}

/** The human-readable form: one line per answer, probability as a percentage and a bar. */
export function formatPrediction(output: PredictOutput): string {
  const width = Math.max(...output.answers.map((entry) => entry.answer.length), 6);
  const lines =
    output.task === 'retrieval'
      ? [`image: ${output.image}`, 'best captions (P(match) from the matching head; cosine of the embeddings):']
      : [`${output.task === 'vqa' ? 'Q' : 'text'}: ${output.text}`, `image: ${output.image}`];
  for (const [index, entry] of output.answers.entries()) {
    const probability = entry.probability === undefined ? '     -' : `${(100 * entry.probability).toFixed(1).padStart(5)}%`;
    const bar = entry.probability === undefined ? '' : '█'.repeat(Math.round(20 * entry.probability));
    const cosine = entry.cosine === undefined ? '' : `  cos ${entry.cosine.toFixed(3)}`;
    lines.push(`${String(index + 1).padStart(2)}. ${entry.answer.padEnd(output.task === 'retrieval' ? 0 : width)}  ${probability}${cosine}  ${bar}`.trimEnd());
  }
  lines.push(`(model loaded in ${output.loadMs.toFixed(0)} ms, answered in ${output.predictMs.toFixed(0)} ms; research use only, not for clinical decisions)`);
  return lines.join('\n');
}
