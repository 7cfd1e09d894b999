/**
 * @umd/evaluation: metrics on plain arrays (VQA accuracy, classification, retrieval recall), confidence intervals
 * and report writers (Markdown, JSON, SVG). Depends on nothing but Node built-ins (only `writeReportFiles` uses one).
 * Named exports only (STYLE.md b3).
 */
// Metrics.
export { vqaAccuracy, normalizeAnswer } from './metrics/vqa-accuracy.js';
export type { VqaRecord, VqaAccuracy, VqaAccuracyOptions } from './metrics/vqa-accuracy.js';
export type { Accuracy } from './metrics/accuracy.js';
export { classificationMetrics } from './metrics/classification-metrics.js';
export type { ClassificationMetrics, ClassificationMetricsOptions, ClassMetrics } from './metrics/classification-metrics.js';
export { confusionMatrix } from './metrics/confusion-matrix.js';
export { mostFrequent } from './metrics/most-frequent.js';
export { retrievalRecall, retrievalRanks } from './metrics/retrieval-recall.js';
export type { RetrievalRecall, RetrievalRanks, RetrievalOptions } from './metrics/retrieval-recall.js';

// Intervals and tests.
export type { Interval } from './statistics/interval.js';
export { bootstrapInterval } from './statistics/bootstrap-interval.js';
export type { BootstrapOptions } from './statistics/bootstrap-interval.js';
export { meanInterval } from './statistics/mean-interval.js';
export type { MeanInterval } from './statistics/mean-interval.js';
export { pairedComparison } from './statistics/paired-comparison.js';
export type { PairedComparison, PairedComparisonOptions } from './statistics/paired-comparison.js';
export { studentTQuantile } from './statistics/student-t.js';

// Reports: text.
export { markdownTable } from './report/markdown-table.js';
export type { ColumnAlign, MarkdownTableOptions } from './report/markdown-table.js';
export { formatInterval } from './report/format-interval.js';
export type { FormatIntervalOptions } from './report/format-interval.js';
export { toJsonReport } from './report/json-report.js';
export type { JsonReportOptions } from './report/json-report.js';
export { writeReportFiles } from './report/write-report-files.js';
export { readMetricsJsonl, metricSeries } from './report/metrics-jsonl.js';
export type { MetricsRecord, ReadMetricsJsonlOptions } from './report/metrics-jsonl.js';
export { movingAverage } from './report/moving-average.js';
export {
  ledgerHeadlineMarkers,
  ledgerLine,
  ledgerRows,
  parseLedger,
  renderLedgerHeadline,
  renderLedgerMarkdown,
  renderLedgerRuns,
  replaceLedgerHeadline,
} from './report/results-ledger.js';
export type { LedgerPageOptions, LedgerRecord, LedgerRow } from './report/results-ledger.js';

// Reports: SVG pictures.
export { lineChartSvg } from './svg/line-chart-svg.js';
export type { LineChartOptions, LineSeries } from './svg/line-chart-svg.js';
export { confusionMatrixSvg } from './svg/confusion-matrix-svg.js';
export type { ConfusionMatrixSvgOptions } from './svg/confusion-matrix-svg.js';
export { barChartSvg } from './svg/bar-chart-svg.js';
export type { BarChartOptions, BarSeries } from './svg/bar-chart-svg.js';
export { escapeXml } from './svg/svg-document.js';

// Errors.
export { EvaluationInputError } from './errors/evaluation-input-error.js';
