// Records a stage that ran in another run folder (e.g. a `umd-bench paper` pre-training unit) as complete in a new run
// folder, with the inputs the new config gives it, so `umd-train run --config <config> --out <out> --resume` skips it and
// the later stages start from its checkpoint. The ledger notes which runs started this way.
//   node --conditions=@umd/source --import tsx scripts/seed-stage.ts --config FILE --seed N --out DIR --from DIR [--stage pretrain]
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { loadPipelineConfig } from '../src/config/load-pipeline-config.js';
import { stageInputs } from '../src/stages/run-stage.js';
import type { StageName } from '../src/config/pipeline-config-schema.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    from: { type: 'string' },
    stage: { type: 'string', default: 'pretrain' },
  },
});
if (!values.config || !values.out || !values.from) throw new Error('give --config, --out and --from (the run folder whose stage is reused)');
const stage = values.stage as StageName;
const loaded = await loadPipelineConfig(values.config);
const config = values.seed === undefined ? loaded : { ...loaded, seed: Number(values.seed) };
const from = path.resolve(values.from);
const out = path.resolve(values.out);
const source = JSON.parse(await readFile(path.join(from, 'pipeline.json'), 'utf8')) as {
  stages: Record<string, { status: string; result: Record<string, unknown> }>;
};
const record = source.stages[stage];
if (record?.status !== 'complete') throw new Error(`${from}: the ${stage} stage is not complete`);
// Paths in the result are relative to their run folder: rewrite them relative to the new one.
const result = Object.fromEntries(
  Object.entries(record.result).map(([key, value]) => [
    key,
    typeof value === 'string' && /\.(safetensors|jsonl|png)$/.test(value) ? path.relative(out, path.resolve(from, value)) : value,
  ]),
);
await mkdir(out, { recursive: true });
const now = new Date().toISOString();
const stages = { [stage]: { status: 'complete', startedAt: now, finishedAt: now, inputs: stageInputs(config, stage), result } };
await writeFile(path.join(out, 'pipeline.json'), `${JSON.stringify({ formatVersion: 1, config, stages }, null, 2)}\n`);
console.log(`${out}: ${stage} recorded complete from ${from} (${String(result['checkpoint'])})`);
