/**
 * @umd/bench: the `umd-bench` command. Programmatic entry points of the paper benchmark (the ablation grid on real
 * data, resumable, with floors and published anchors) and of the performance workloads. Named exports only.
 */
// The paper benchmark: grid, profiles, run.
export { evaluateUnitId, expandPaperGrid, paperRows, paperTasks, paperVariants, rowSpecs, taskKindOf } from './paper/paper-grid.js';
export type {
  CalibrateUnit,
  PaperGridOptions,
  PaperPlan,
  PaperRow,
  PaperTask,
  PaperVariant,
  PretrainUnit,
  RowSpec,
  SkippedCell,
  TuneUnit,
} from './paper/paper-grid.js';
export { validatePaperProfile } from './paper/paper-profile.js';
export type { PaperProfile } from './paper/paper-profile.js';
export { paperProfileNames, paperProfiles } from './paper/paper-profiles.js';
export type { PaperProfileName } from './paper/paper-profiles.js';
export { runPaperBenchmark } from './paper/run-paper-benchmark.js';
export type { PaperBenchmarkRun, RunPaperBenchmarkOptions } from './paper/run-paper-benchmark.js';
export { createPaperUnitRunner, preparePaperBenchmark } from './paper/paper-session.js';
export type { PaperGridSpec, PaperSetup, PaperUnitRunner, PaperUnitRunnerOptions, UnitOutcome } from './paper/paper-session.js';
export { needsOf, orderedUnits } from './paper/paper-units.js';
export type { EvaluateUnit, PaperUnit } from './paper/paper-units.js';
export { reportBenchFolder, reportPaperBenchmark } from './paper/paper-report.js';
export type { PaperReport } from './paper/paper-report.js';
export type { BenchDataSource } from './paper/unit-config.js';
export { splitAvailability } from './paper/split-availability.js';
export type { ReportSplit, SplitAvailability } from './paper/split-availability.js';

// State and results.
export { assertSameGrid, benchStateFile, readBenchState, recordBenchUnit, writeBenchState } from './paper/bench-state.js';
export type {
  BenchGridIdentity,
  BenchState,
  CalibrateUnitResult,
  EvaluateUnitResult,
  PretrainUnitResult,
  TuneUnitResult,
  UnitProvenance,
  UnitRecord,
  UnitStatus,
} from './paper/bench-state.js';
export { appendPaperLedger, ledgerKey, paperLedgerRecords } from './paper/paper-ledger.js';
export type { PaperLedgerOptions } from './paper/paper-ledger.js';
export { buildPaperResults, metricColumns } from './paper/paper-results.js';
export type { MetricColumn, PaperResults, PaperResultsInput, ResultRow, SeedSummary, SharedUnitSummary, TaskResults } from './paper/paper-results.js';
export { renderPaperResults } from './paper/render-paper-results.js';
export type { RenderPaperResultsOptions } from './paper/render-paper-results.js';
export { orientationNumbers, publishedAnchors } from './paper/published-anchors.js';
export type { ReferenceRow } from './paper/published-anchors.js';
export { textFloors } from './paper/text-floors.js';
export type { TextFloor } from './paper/text-floors.js';

// The grid over a BullMQ queue in Redis: enqueue, workers, status.
export { enqueuePaperGrid, reportJobId } from './queue/enqueue-paper-grid.js';
export type { EnqueuedGrid, EnqueuePaperGridOptions } from './queue/enqueue-paper-grid.js';
export { startBenchWorker } from './queue/bench-worker.js';
export type { BenchWorker, BenchWorkerOptions, UnitJobResult } from './queue/bench-worker.js';
export { queueStatus, renderQueueStatus } from './queue/queue-status.js';
export type { QueueStatus, UnitJobState, UnitJobStatus } from './queue/queue-status.js';
export { connectionOf, parseQueueTarget } from './queue/queue-target.js';
export type { QueueTarget } from './queue/queue-target.js';
export { queuedGridKey, readQueuedGrid } from './queue/queued-grid.js';
export type { QueuedGrid } from './queue/queued-grid.js';

// Performance workloads.
export { runPerf } from './perf/run-perf.js';
export type { PerfRun, RunPerfOptions } from './perf/run-perf.js';
export { perfScripts } from './perf/perf-workloads.js';
export type { PerfOptions, PerfScript } from './perf/perf-workloads.js';
export { normalizePerfLine } from './perf/normalize-perf-line.js';
export type { PerfLineContext, PerfRecord } from './perf/normalize-perf-line.js';

// Errors.
export { BenchFolderMismatchError } from './errors/bench-folder-mismatch-error.js';
export { BenchGridMismatchError } from './errors/bench-grid-mismatch-error.js';
export { BenchStateError } from './errors/bench-state-error.js';
export { PerfWorkloadError } from './errors/perf-workload-error.js';
export { PerfCheckoutError } from './errors/perf-checkout-error.js';
export { QueueConnectionError } from './errors/queue-connection-error.js';
export { QueueGridMismatchError } from './errors/queue-grid-mismatch-error.js';
export { QueueGridNotFoundError } from './errors/queue-grid-not-found-error.js';
