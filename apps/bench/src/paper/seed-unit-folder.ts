import path from 'node:path';

import { writeFileAtomic } from '@umd/core';
import { pipelineStateFile, readPipelineState, type PipelineConfig, type StageName, type StageRecord } from '@umd/trainer';

/** A complete upstream stage to record in a unit's folder: its checkpoint (absolute) and the rest of its result. */
export interface UpstreamStage {
  readonly stage: StageName;
  /** Absolute path of the checkpoint the stage produced. */
  readonly checkpoint: string;
  /** Other fields of the stage's recorded result (kept as they are). */
  readonly result?: Readonly<Record<string, unknown>>;
}

/**
 * Writes the records of stages that ran elsewhere (a shared pre-training, a shared calibration, a tuning run) into
 * `<unitDir>/pipeline.json`, so that the trainer's stage runners find their inputs there: checkpoint paths are
 * rewritten relative to the unit's folder. Records of other stages already in the file (a partial tuning being
 * resumed) are kept. Written atomically.
 */
export async function seedUnitFolder(unitDir: string, config: PipelineConfig, upstream: readonly UpstreamStage[]): Promise<void> {
  const previous = (await readPipelineState(unitDir))?.stages ?? {};
  const stages: Partial<Record<StageName, StageRecord>> = { ...previous };
  const now = new Date().toISOString();
  for (const { stage, checkpoint, result } of upstream) {
    stages[stage] = {
      status: 'complete',
      startedAt: now,
      finishedAt: now,
      inputs: { sharedBy: 'umd-bench' },
      result: { ...result, checkpoint: path.relative(unitDir, checkpoint) },
    };
  }
  await writeFileAtomic(path.join(unitDir, pipelineStateFile), `${JSON.stringify({ formatVersion: 1, config, stages }, null, 2)}\n`);
}
