/**
 * How a pipeline shows its progress: a bar with ETA per stage on a terminal, plain log lines elsewhere (CI logs,
 * files). Stage runners call it; they never print themselves.
 */
export interface ProgressReporter {
  /** A stage (or phase) begins: `total` units (steps, epochs, samples), starting at `startAt` (a resume). */
  begin(label: string, total: number, startAt?: number): void;
  /** Progress inside the current phase, with short fields to show (`loss: '0.412'`). */
  update(value: number, fields?: Readonly<Record<string, string>>): void;
  /** One line of text (printed above the bar on a terminal). */
  log(line: string): void;
  /** The current phase ends (the bar is finished and left on screen). */
  end(): void;
}

/** A reporter that shows nothing (tests, embedding). */
export const silentReporter: ProgressReporter = {
  begin: () => undefined,
  update: () => undefined,
  log: () => undefined,
  end: () => undefined,
};

/** `95000` -> `1m35s`; `4000` -> `4s`; `3.7e6` -> `1h01m`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** `{ loss: '0.41', lr: '1e-4' }` -> `loss 0.41 | lr 1e-4`. */
export function formatFields(fields: Readonly<Record<string, string>> | undefined): string {
  return Object.entries(fields ?? {})
    .map(([key, value]) => `${key} ${value}`)
    .join(' | ');
}
