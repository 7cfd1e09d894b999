// Scores a late-fusion ensemble of tuned runs (`evaluateEnsemble` of @umd/tasks): the mean of the members' class
// probabilities (retrieval: of their image-caption scores, re-ranked as the config's `finetune.retrieval.topK`), each
// member reading the samples as it was tuned (a text-only run blank images, an image-only run empty texts). The config names the dataset and the tokenizer (the members' own); `--ledger` appends one record per split.
//   node --conditions=@umd/source --import tsx scripts/evaluate-ensemble.ts --config FILE --data DIR --seed N \
//     --member RUN_DIR --member RUN_DIR [--split validate] [--ledger FILE --experiment NAME]
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { gitCommit, initRuntime, machineDescription } from '@umd/core';
import { ledgerLine } from '@umd/evaluation';
import { evaluateEnsemble } from '@umd/tasks';

import { loadPipelineConfig } from '../src/config/load-pipeline-config.js';
import { createStageContext } from '../src/stages/stage-context.js';
import { metricsWithIntervals } from '../src/stages/split-scores.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    data: { type: 'string' },
    seed: { type: 'string', default: '0' },
    member: { type: 'string', multiple: true },
    split: { type: 'string', multiple: true },
    ledger: { type: 'string' },
    experiment: { type: 'string' },
  },
});
const members = values.member ?? [];
if (!values.config || members.length < 2) throw new Error('give --config and two or more --member run folders');
if ((values.ledger === undefined) !== (values.experiment === undefined)) throw new Error('give --ledger and --experiment together, or neither');
const started = performance.now();
const commit = gitCommit();
const runtime = await initRuntime();
const config = { ...(await loadPipelineConfig(values.config)), seed: Number(values.seed) };
const context = createStageContext({ config, outDir: path.resolve(members[0]!), ...(values.data ? { dataDir: values.data } : {}) });
const [data, tokenizer] = [await context.taskData(), await context.tokenizer()];
for (const split of values.split ?? ['validate']) {
  const samples = split === 'validate' ? data.validation : split === 'test' ? data.test : undefined;
  if (!samples?.length) throw new Error(`${split}: not in this copy of the dataset`);
  const evaluation = await evaluateEnsemble({
    members: members.map((dir) => ({ checkpoint: path.join(dir, 'finetune', 'best.safetensors') })),
    samples,
    tokenizer,
    batchSize: config.finetune.batchSize,
    image: context.image,
    ...(config.finetune.retrieval?.topK === undefined ? {} : { topK: config.finetune.retrieval.topK }),
    ...(config.evaluate.attributeAgreement === undefined ? {} : { attributeAgreement: config.evaluate.attributeAgreement }),
  });
  const metrics = metricsWithIntervals(data.task, evaluation.metrics, evaluation.predictions, 0, config.seed);
  const summary = Object.fromEntries(Object.entries(metrics).map(([name, metric]) => [name, Math.round(metric.value * 1000) / 10]));
  console.log(`${split}: ${JSON.stringify(summary)} (${members.length} members, ${(evaluation.ms / 1000).toFixed(1)} s)`);
  if (values.ledger && values.experiment) {
    appendFileSync(
      values.ledger,
      ledgerLine({
        experiment: values.experiment,
        dataset: config.data.dataset,
        split: split as 'validate' | 'test',
        seed: config.seed,
        metrics: summary,
        command: `scripts/evaluate-ensemble.ts ${process.argv.slice(2).join(' ')}`,
        config: values.config,
        commit,
        date: new Date().toISOString(),
        wallMinutes: (performance.now() - started) / 60_000,
        machine: machineDescription(runtime.backend),
      }),
    );
  }
}
