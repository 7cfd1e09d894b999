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
  /** @internal test seams: other scripts; another default checkout; another way to find an installed package's folder. */
  readonly _internal?: {
    readonly scripts?: readonly PerfScript[];
    readonly defaultRepoRoot?: string;
    readonly packageDir?: (packageName: string) => string | undefined;
  };
}

/** What {@link runPerf} measured. */
export interface PerfRun {
  readonly records: readonly PerfRecord[];
  /** Scripts that failed (the others still ran). */
  readonly failures: readonly PerfWorkloadError[];
  /** Packages whose workloads did not run (no checkout, and the published package ships none): named on `onLog` too. */
  readonly skipped: readonly string[];
  /** Where the scripts came from: a checkout's sources (through tsx) or the installed packages' compiled scripts. */
  readonly source: 'checkout' | 'installed';
}

/** How one script runs: its file, the loader arguments before it, and the folder it runs in. */
interface ScriptLaunch {
  readonly script: PerfScript;
  readonly file: string;
  readonly loader: readonly string[];
  readonly cwd: string;
}

const defaultRepoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/**
 * Runs each package's performance script in its own child process, plus a preload that adds the process's peak RSS to
 * every JSON line, one after another, and turns their JSON lines into {@link PerfRecord}s. From a checkout (the default
 * one, or `repoRoot`) the scripts run from source (`node --conditions=@umd/source --import tsx`); without one (an
 * installed @umd/bench) the published packages' compiled scripts run with plain `node`, and a package that ships none
 * is skipped with a line on `onLog`. A script that exits non-zero or prints no figure is reported in `failures`.
 * Unknown `packages` match nothing.
 *
 * @throws PerfCheckoutError when `repoRoot` is given and is not a checkout, or when nothing can run at all
 */
export async function runPerf(options: RunPerfOptions = {}): Promise<PerfRun> {
  const perf: PerfOptions = {
    quick: options.quick ?? false,
    reference: options.reference ?? false,
    ...(options.backend ? { backend: options.backend } : {}),
    ...(options.only ? { only: options.only } : {}),
  };
  const repoRoot = options.repoRoot ?? options._internal?.defaultRepoRoot ?? defaultRepoRoot;
  const wanted = options.packages?.map((name) => (name.startsWith('@umd/') ? name : `@umd/${name}`));
  const scripts = (options._internal?.scripts ?? perfScripts).filter((script) => !wanted || wanted.includes(script.packageName));
  const missing = scripts.map((script) => script.script).filter((script) => !existsSync(path.join(repoRoot, script)));
  const tsx = resolveTsx(repoRoot);
  let launches: ScriptLaunch[];
  const skipped: string[] = [];
  const source = missing.length === 0 && tsx ? 'checkout' : 'installed';
  if (source === 'checkout') {
    launches = scripts.map((script) => ({
      script,
      file: path.join(repoRoot, script.script),
      loader: ['--conditions=@umd/source', '--import', tsx!],
      cwd: path.join(repoRoot, path.dirname(path.dirname(script.script))), // the package folder, as `pnpm bench` runs it
    }));
  } else {
    // No checkout (an installed @umd/bench): the published packages' compiled scripts, where they ship one. An explicit
    // --repo that is not a checkout stays an error: the user asked for that checkout's scripts.
    if (options.repoRoot !== undefined) throw new PerfCheckoutError(repoRoot, [...missing, ...(tsx ? [] : ['tsx (run `pnpm install`)'])]);
    launches = [];
    for (const script of scripts) {
      const dir = script.installed ? (options._internal?.packageDir ?? installedPackageDir)(script.packageName) : undefined;
      const file = dir ? path.join(dir, script.installed!) : undefined;
      // Plain node; only a bench that itself runs from source (tests) needs tsx for its TypeScript RSS probe.
      const loader = import.meta.url.endsWith('.ts') && tsx ? ['--import', tsx] : [];
      if (dir && file && existsSync(file)) launches.push({ script, file, loader, cwd: dir });
      else {
        skipped.push(script.packageName);
        options.onLog?.(
          `[perf] ${script.packageName}: skipped — ${script.installed ? `no ${script.installed} in an installed ${script.packageName} beside @umd/bench` : 'its workloads swap the package’s internal kernels (A/B) and run from a checkout only (--repo DIR)'}`,
        );
      }
    }
    if (launches.length === 0) throw new PerfCheckoutError(repoRoot, [...missing, ...(tsx ? [] : ['tsx (run `pnpm install`)'])]);
  }
  const records: PerfRecord[] = [];
  const failures: PerfWorkloadError[] = [];
  for (const launch of launches) {
    const { script } = launch;
    options.onLog?.(`[perf] ${script.packageName}: ${source === 'checkout' ? script.script : launch.file} ${script.args(perf).join(' ')}`.trimEnd());
    const { exitCode, stderrTail, count } = await runScript(
      launch,
      perf,
      (record) => {
        if (perf.only && !perf.only.includes(record.workload)) return;
        records.push(record);
        options.onRecord?.(record);
      },
      options.onLog,
    );
    if (exitCode !== 0 || count === 0) failures.push(new PerfWorkloadError(script.packageName, script.script, exitCode, stderrTail));
  }
  return { records, failures, skipped, source };
}

/** An installed package's folder, resolved from this file as its own imports are; undefined when it is not there. */
function installedPackageDir(packageName: string): string | undefined {
  try {
    return path.dirname(createRequire(import.meta.url).resolve(`${packageName}/package.json`));
  } catch {
    return undefined;
  }
}

async function runScript(
  launch: ScriptLaunch,
  perf: PerfOptions,
  onRecord: (record: PerfRecord) => void,
  onLog: ((line: string) => void) | undefined,
): Promise<{ exitCode: number | null; stderrTail: string; count: number }> {
  const { script } = launch;
  const here = fileURLToPath(import.meta.url);
  const probe = path.join(path.dirname(here), `rss-probe${path.extname(here)}`);
  const probeUrl = pathToFileURL(existsSync(probe) ? probe : probe.replace(/\.ts$/, '.js')).href;
  const child = spawn(process.execPath, [...launch.loader, '--import', probeUrl, launch.file, ...script.args(perf)], {
    cwd: launch.cwd,
    env: { ...process.env, ...(perf.backend ? { UMD_BACKEND: perf.backend } : {}), ...script.env?.(perf) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
