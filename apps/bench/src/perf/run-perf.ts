import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { PerfCheckoutError } from '../errors/perf-checkout-error.js';
import { PerfWorkloadError } from '../errors/perf-workload-error.js';
import { normalizePerfLine, type PerfLineContext, type PerfRecord } from './normalize-perf-line.js';
import { perfScripts, type PerfOptions, type PerfScript } from './perf-workloads.js';

/** Options of {@link runPerf}. */
export interface RunPerfOptions extends Partial<PerfOptions> {
  /** Only these packages (`@umd/core`, `core`, …). Default: all. */
  readonly packages?: readonly string[];
  /** Receives each record as soon as its line arrives. */
  readonly onRecord?: (record: PerfRecord) => void;
  /** Receives the scripts' stderr lines (backend choice, warnings) and progress notes. */
  readonly onLog?: (line: string) => void;
  /**
   * The UMD-TS checkout whose scripts run (their paths are relative to it); it must have its dependencies installed.
   * Default: the checkout this file is in.
   */
  readonly repoRoot?: string;
  /** @internal test seam: other scripts. */
  readonly _internal?: { readonly scripts?: readonly PerfScript[] };
}

/** What {@link runPerf} measured. */
export interface PerfRun {
  readonly records: readonly PerfRecord[];
  /** Scripts that failed (the others still ran). */
  readonly failures: readonly PerfWorkloadError[];
}

const defaultRepoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * Runs each package's performance script in its own child process (`node --conditions=@umd/source --import tsx`,
 * plus a preload that adds the process's peak RSS to every JSON line) one after another, and turns their JSON lines
 * into {@link PerfRecord}s. A script that exits non-zero or prints no figure is reported in `failures`.
 * Unknown `packages` match nothing.
 */
export async function runPerf(options: RunPerfOptions = {}): Promise<PerfRun> {
  const perf: PerfOptions = { quick: options.quick ?? false, reference: options.reference ?? false, ...(options.backend ? { backend: options.backend } : {}) };
  const repoRoot = options.repoRoot ?? defaultRepoRoot;
  const wanted = options.packages?.map((name) => (name.startsWith('@umd/') ? name : `@umd/${name}`));
  const scripts = (options._internal?.scripts ?? perfScripts).filter((script) => !wanted || wanted.includes(script.packageName));
  const missing = scripts.map((script) => script.script).filter((script) => !existsSync(path.join(repoRoot, script)));
  const tsx = resolveTsx(repoRoot);
  if (missing.length > 0 || !tsx) throw new PerfCheckoutError(repoRoot, [...missing, ...(tsx ? [] : ['tsx (run `pnpm install`)'])]);
  const records: PerfRecord[] = [];
  const failures: PerfWorkloadError[] = [];
  for (const script of scripts) {
    options.onLog?.(`[perf] ${script.packageName}: ${script.script} ${script.args(perf).join(' ')}`.trimEnd());
    const { exitCode, stderrTail, count } = await runScript(
      script,
      perf,
      repoRoot,
      tsx,
      (record) => {
        records.push(record);
        options.onRecord?.(record);
      },
      options.onLog,
    );
    if (exitCode !== 0 || count === 0) failures.push(new PerfWorkloadError(script.packageName, script.script, exitCode, stderrTail));
  }
  return { records, failures };
}

async function runScript(
  script: PerfScript,
  perf: PerfOptions,
  repoRoot: string,
  tsx: string,
  onRecord: (record: PerfRecord) => void,
  onLog: ((line: string) => void) | undefined,
): Promise<{ exitCode: number | null; stderrTail: string; count: number }> {
  const here = fileURLToPath(import.meta.url);
  const probe = path.join(path.dirname(here), `rss-probe${path.extname(here)}`);
  const probeUrl = pathToFileURL(existsSync(probe) ? probe : probe.replace(/\.ts$/, '.js')).href;
  const child = spawn(
    process.execPath,
    ['--conditions=@umd/source', '--import', tsx, '--import', probeUrl, path.join(repoRoot, script.script), ...script.args(perf)],
    {
      cwd: path.join(repoRoot, path.dirname(path.dirname(script.script))), // the package folder, as `pnpm bench` runs it
      env: { ...process.env, ...(perf.backend ? { UMD_BACKEND: perf.backend } : {}), ...script.env?.(perf) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const context: PerfLineContext = {};
  let count = 0;
  const stderr: string[] = [];
  const stdoutDone = (async () => {
    for await (const text of createInterface({ input: child.stdout })) {
      const line = parseObject(text);
      const record = line ? normalizePerfLine(script.packageName, line, context) : undefined;
      if (record) {
        count += 1;
        onRecord(record);
      } else if (text.trim() !== '') onLog?.(`[${script.packageName}] ${text}`);
    }
  })();
  const stderrDone = (async () => {
    for await (const text of createInterface({ input: child.stderr })) {
      stderr.push(text);
      if (stderr.length > 20) stderr.shift();
      onLog?.(`[${script.packageName}] ${text}`);
    }
  })();
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  await Promise.all([stdoutDone, stderrDone]);
  return { exitCode, stderrTail: stderr.slice(-3).join(' | '), count };
}

/** `tsx`'s loader as a file URL: the checkout's own (apps/bench's), else the one next to this file; undefined if neither. */
function resolveTsx(repoRoot: string): string | undefined {
  for (const from of [path.join(repoRoot, 'apps', 'bench', 'package.json'), fileURLToPath(import.meta.url)]) {
    try {
      return pathToFileURL(createRequire(from).resolve('tsx')).href;
    } catch {
      // not installed there
    }
  }
  return undefined;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // a line that only looks like JSON: shown as text
  }
}
