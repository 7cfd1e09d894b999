import type { LedgerRecord } from '@umd/evaluation';

import type { PipelineConfig } from '../config/pipeline-config-schema.js';
import type { EvaluateResult } from '../stages/run-evaluate-stage.js';

/** What a run adds to every ledger record besides its metrics. */
export interface LedgerProvenance {
  readonly experiment: string;
  readonly command: string;
  /** The config file as given (a repository path or a ready config's name). */
  readonly config: string;
  /** `gitCommit()` taken when the run started. */
  readonly commit: string;
  readonly machine: string;
  readonly wallMinutes: number;
  readonly date: string;
  readonly note?: string;
}

/**
 * One ledger record per evaluated split of a pipeline run: each metric in percent (rounded to 0.1), without the
 * bootstrap intervals (the ledger's intervals are over seeds). Splits that were not scored give none.
 */
export function ledgerRecords(config: PipelineConfig, evaluation: EvaluateResult, provenance: LedgerProvenance): LedgerRecord[] {
  return evaluation.splits.map((scores) => ({
    experiment: provenance.experiment,
    dataset: config.data.dataset,
    split: scores.split,
    seed: config.seed,
    metrics: Object.fromEntries(Object.entries(scores.metrics).map(([name, metric]) => [name, Math.round(metric.value * 1000) / 10])),
    command: provenance.command,
    config: provenance.config,
    commit: provenance.commit,
    date: provenance.date,
    wallMinutes: provenance.wallMinutes,
    machine: provenance.machine,
    ...(provenance.note ? { note: provenance.note } : {}),
  }));
}
