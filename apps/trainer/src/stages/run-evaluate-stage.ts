import path from 'node:path';

import { writeFileAtomic } from '@umd/core';
import { evaluateEnsemble, evaluateTask, fitAnswerTypeGate, offeredAnswerClasses, type AnswerTypeGate, type TaskEvaluation } from '@umd/tasks';

import type { EvaluationSplit } from '../config/pipeline-config-schema.js';
import type { TaskSample } from '../datasets.js';
import { StageInputError } from '../errors/stage-input-error.js';
import type { FinetuneResult } from './run-finetune-stage.js';
import { runStage, type StageOutcome } from './run-stage.js';
import { metricsWithIntervals, type SplitScores } from './split-scores.js';
import type { StageContext } from './stage-context.js';
import { textOnlyFloor } from './text-only-floor.js';
import { upstreamResult } from './upstream-result.js';

/** What the evaluate stage records. */
export interface EvaluateResult {
  readonly task: 'vqa' | 'classification' | 'retrieval';
  /** The tuned checkpoint evaluated (relative to the output folder); of a seed ensemble, its first member's. */
  readonly checkpoint: string;
  /** A seed ensemble (`finetune.members` > 1): every member's checkpoint, the first included, scored as one model. */
  readonly members?: readonly string[];
  readonly splits: readonly SplitScores[];
  /** Data facts (where validation came from, out-of-vocabulary answers, skipped records, splits not present). */
  readonly notes: readonly string[];
}

/**
 * Stage 4: scores the tuned model (finetune's best checkpoint; of a seed ensemble, the mean of its members with
 * `evaluateEnsemble`) on `evaluate.splits` with `evaluateTask`, adds 95%
 * bootstrap intervals and the text-only floor of each split, and writes `<out>/evaluate/predictions-<split>.jsonl`
 * and `metrics.json`. The test split is touched here only. A split the dataset lacks is skipped with a note.
 *
 * @throws StageInputError when the finetune stage has not completed in this output folder
 */
export async function runEvaluateStage(context: StageContext): Promise<StageOutcome<EvaluateResult>> {
  return runStage<EvaluateResult>(context, 'evaluate', async (session) => {
    const { config, progress } = context;
    const finetune = await upstreamResult<FinetuneResult>(context, 'evaluate', 'finetune', 'a tuned checkpoint');
    const checkpoint = finetune.checkpoint;
    if (checkpoint === undefined) throw new StageInputError('evaluate', 'a tuned checkpoint', 'finetune', context.outDir);
    const others = (finetune.members ?? []).map((member) => member.checkpoint);
    if (others.some((other) => other === undefined))
      throw new StageInputError('evaluate', 'a tuned checkpoint of every ensemble member', 'finetune', context.outDir);
    const members = others.length ? [checkpoint, ...(others as string[])] : undefined;
    if (members) progress.log(`[evaluate] a seed ensemble of ${members.length} tuned models: the mean of their predictions`);
    const [data, tokenizer] = [await context.taskData(), await context.tokenizer()];
    const notes = [...data.notes];
    let gate: AnswerTypeGate | undefined;
    if (config.evaluate.answerTypeGate && data.task.kind === 'vqa') {
      gate = fitAnswerTypeGate(
        data.task,
        data.train.filter((sample) => sample.task === 'vqa'),
      );
      const line = `answer-type gate fitted on ${data.train.length} training questions (training type accuracy ${(100 * gate.trainingAccuracy).toFixed(1)}%)`;
      notes.push(line);
      progress.log(`[evaluate] ${line}`);
    } else if (config.evaluate.answerTypeGate) notes.push(`answer-type gate: not used (a ${data.task.kind} task has no answer types)`);
    if (config.evaluate.answerChoices && data.task.kind !== 'vqa') notes.push(`answer choices: not used (a ${data.task.kind} task has no questions)`);
    if (config.evaluate.queryBank && data.task.kind !== 'retrieval') notes.push(`query bank: not used (a ${data.task.kind} task ranks nothing)`);
    if (config.evaluate.queryBank && data.task.kind === 'retrieval') {
      const line = `query bank: ${data.train.length} training captions and their images (inverted softmax, β ${config.evaluate.queryBank.beta})`;
      notes.push(line);
      progress.log(`[evaluate] ${line}`);
    }
    const splits: SplitScores[] = [];
    const wanted = config.evaluate.splits;
    progress.begin('evaluate', wanted.length);
    for (const [index, split] of wanted.entries()) {
      if (context.signal?.aborted) return { result: { task: data.task.kind, checkpoint, ...(members ? { members } : {}), splits, notes }, aborted: true };
      const samples = split === 'validate' ? data.validation : data.test;
      if (!samples || samples.length === 0) {
        notes.push(`${split}: not in this copy of the dataset, not scored`);
        continue;
      }
      if (config.evaluate.answerChoices && data.task.kind === 'vqa') {
        const answers = data.task.answers;
        const offering = samples.filter((sample) => sample.task === 'vqa' && offeredAnswerClasses(sample.question, answers).length > 0).length;
        const line = `answer choices: ${offering} of ${samples.length} ${split} questions name two or more answer classes and are answered among them`;
        notes.push(line);
        progress.log(`[evaluate] ${line}`);
      }
      splits.push(await scoreSplit(context, session.dir, members ?? [checkpoint], split, samples, tokenizer, gate));
      progress.update(index + 1, { [split]: `${(100 * Object.values(splits.at(-1)!.metrics)[0]!.value).toFixed(1)}%` });
    }
    progress.end();
    const result: EvaluateResult = { task: data.task.kind, checkpoint, ...(members ? { members } : {}), splits, notes };
    await writeFileAtomic(path.join(session.dir, 'metrics.json'), `${JSON.stringify(result, null, 2)}\n`);
    return { result, aborted: false };
  });
}

/** Scores one split with the tuned model, or the mean of the members of a seed ensemble (two or more checkpoints). */
async function scoreSplit(
  context: StageContext,
  dir: string,
  checkpoints: readonly string[],
  split: EvaluationSplit,
  samples: readonly TaskSample[],
  tokenizer: Awaited<ReturnType<StageContext['tokenizer']>>,
  gate: AnswerTypeGate | undefined,
): Promise<SplitScores> {
  const { config } = context;
  const data = await context.taskData();
  const common = {
    samples,
    tokenizer,
    batchSize: config.finetune.batchSize,
    image: context.image,
    ...(config.finetune.retrieval?.topK === undefined ? {} : { topK: config.finetune.retrieval.topK }), // as validation re-ranked
    ...(config.evaluate.attributeAgreement === undefined ? {} : { attributeAgreement: config.evaluate.attributeAgreement }),
  };
  const evaluation: TaskEvaluation =
    checkpoints.length > 1
      ? await evaluateEnsemble({ ...common, members: checkpoints.map((checkpoint) => ({ checkpoint: path.resolve(context.outDir, checkpoint) })) })
      : await evaluateTask({
          ...common,
          checkpoint: path.resolve(context.outDir, checkpoints[0]!),
          ...(config.finetune.blindImage ? { blindImage: true } : {}),
          ...(config.finetune.blindText ? { blindText: true } : {}),
          ...(gate ? { answerTypeGate: gate } : {}),
          ...(config.evaluate.answerChoices ? { answerChoices: true } : {}),
          ...(config.evaluate.views ? { views: config.evaluate.views } : {}),
          ...(config.evaluate.imageBlend === undefined ? {} : { imageBlend: config.evaluate.imageBlend }),
          ...(config.evaluate.queryBank && data.task.kind === 'retrieval'
            ? { queryBank: { samples: data.train.filter((sample) => sample.task === 'caption'), beta: config.evaluate.queryBank.beta } }
            : {}),
        });
  const file = path.join(dir, `predictions-${split}.jsonl`);
  await writeFileAtomic(file, evaluation.predictions.map((prediction) => JSON.stringify(prediction)).join('\n') + '\n');
  const metrics = metricsWithIntervals(data.task, evaluation.metrics, evaluation.predictions, config.evaluate.bootstrapResamples, config.seed);
  const confusion =
    evaluation.metrics.kind === 'classification' && data.task.kind === 'classification'
      ? { labels: data.task.labels, matrix: evaluation.metrics.confusion }
      : undefined;
  return {
    split,
    samples: samples.length,
    metrics,
    floor: textOnlyFloor(data.task, data.train, samples),
    ...(confusion ? { confusion } : {}),
    predictions: path.relative(context.outDir, file),
  };
}
