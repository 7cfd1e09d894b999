#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { backendNames, gitCommit, initRuntime, InvalidConfigError, machineDescription, UmdError, writeFileAtomic, type BackendName } from '@umd/core';
import { parseLedger, renderLedgerHeadline, renderLedgerMarkdown, renderLedgerRuns, replaceLedgerHeadline } from '@umd/evaluation';
import { createPlainReporter, createTtyReporter, type ProgressReporter } from '@umd/trainer';

import { paperTasks, paperVariants, type PaperTask, type PaperVariant } from './paper/paper-grid.js';
import { appendPaperLedger } from './paper/paper-ledger.js';
import { paperProfileNames, paperProfiles, type PaperProfileName } from './paper/paper-profiles.js';
import { reportBenchFolder } from './paper/paper-report.js';
import type { PaperGridSpec } from './paper/paper-session.js';
import { formatSeconds } from './paper/render-paper-results.js';
import { runPaperBenchmark } from './paper/run-paper-benchmark.js';
import { runPerf } from './perf/run-perf.js';
import { startBenchWorker } from './queue/bench-worker.js';
import { enqueuePaperGrid } from './queue/enqueue-paper-grid.js';
import { queueStatus, renderQueueStatus } from './queue/queue-status.js';
import { parseQueueTarget } from './queue/queue-target.js';

function positiveInteger(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError(`${name} must be a positive integer.`);
    return parsed;
  };
}

function listOf<T extends string>(name: string, allowed: readonly T[]) {
  return (value: string): T[] => {
    const items = value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    const unknown = items.filter((item) => !(allowed as readonly string[]).includes(item));
    if (unknown.length > 0 || items.length === 0)
      throw new InvalidArgumentError(`${name}: expected a comma-separated list of ${allowed.join(', ')}; got '${value}'.`);
    return items as T[];
  };
}

/** `quick` and `full` are public; `micro` (tests) is accepted but not advertised. */
function profileName(value: string): PaperProfileName {
  if (!(paperProfileNames as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected quick or full; got '${value}'.`);
  return value as PaperProfileName;
}

/** `--backend`, shared by the commands that train. */
function backendOption(): Option {
  return new Option('--backend <name>', 'tfjs backend (or set UMD_BACKEND)')
    .choices([...backendNames])
    .env('UMD_BACKEND')
    .default('auto');
}

/** `--progress`, shared by the commands that train. */
function progressOption(): Option {
  return new Option('--progress <mode>', 'bar with ETA on a terminal, plain lines otherwise').choices(['auto', 'bar', 'plain']).default('auto');
}

interface PaperFlags {
  readonly data?: string;
  readonly phantom: boolean;
  readonly profile: PaperProfileName;
  readonly seeds?: number;
  readonly out?: string;
  readonly split: 'validate' | 'test';
  readonly tasks?: PaperTask[];
  readonly variants?: PaperVariant[];
  readonly floors: boolean;
  readonly resume: boolean;
  readonly imageCache: string;
  readonly backend: BackendName;
  readonly progress: 'auto' | 'bar' | 'plain';
  readonly queue?: string;
  readonly wait: boolean;
  readonly attempts: number;
}

interface WorkerFlags {
  readonly queue: string;
  readonly concurrency: number;
  readonly imageCache: string;
  readonly backend: BackendName;
  readonly progress: 'auto' | 'bar' | 'plain';
  readonly untilDone: boolean;
  readonly lockSeconds: number;
  readonly stalledSeconds: number;
  readonly blockedSeconds: number;
}

interface PerfFlags {
  readonly quick: boolean;
  readonly reference: boolean;
  readonly packages?: string[];
  readonly only?: string[];
  readonly backend?: BackendName;
  readonly repo?: string;
}

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const program = new Command('umd-bench')
  .description(
    'UMD-TS benchmarks: the paper benchmark (ablation grid × seeds on real data, beside floors and published numbers) and the performance workloads.',
  )
  .version(version)
  .exitOverride() // usage errors exit 2 (see the end of this file); subcommands inherit it
  .showHelpAfterError();

program
  .command('paper')
  .description(
    'Run the ablation grid (scratch → MR data level → MR full → + TD-Calib → + GM-Coord, and a text-only floor model) on VQA-RAD, SLAKE, ' +
      'MedPix retrieval and MedPix classification; write <out>/results.md and results.json. Resumable: run the same command again.',
  )
  .addOption(new Option('--data <dir>', 'folder with vqa-rad/, slake/ and medpix-2.0/').env('UMD_DATA_DIR'))
  .addOption(new Option('--phantom', 'run on the built-in phantom data instead of --data (tests)').default(false).hideHelp())
  .addOption(
    new Option('--profile <name>', 'quick (about 15 min on 2 cores: a smoke of the protocol) or full (hours: the benchmark)')
      .argParser(profileName)
      .default('quick'),
  )
  .option('--seeds <n>', 'seeds per cell (default: the profile’s, quick 1, full 3)', positiveInteger('--seeds'))
  .option('-o, --out <dir>', 'output folder (default runs/bench-<profile>)')
  .addOption(
    new Option('--split <split>', 'the split reported; model selection always uses validation, test is evaluated once')
      .choices(['validate', 'test'])
      .default('validate'),
  )
  .option('--tasks <list>', `tasks, comma-separated (default all: ${paperTasks.join(', ')})`, listOf('--tasks', paperTasks))
  .option('--variants <list>', `variants, comma-separated (default all: ${paperVariants.join(', ')})`, listOf('--variants', paperVariants))
  .option('--no-floors', 'leave out the text-only floor model row (the floors computed without a model stay)')
  .option('--no-resume', 'start over even when <out>/bench-state.json exists (default: continue it; its grid and profile must match)')
  .option('--image-cache <dir>', "decoded-image cache ('none' for none)", '.cache/umd-images')
  .addOption(backendOption())
  .addOption(progressOption())
  .option(
    '--queue <url>',
    'enqueue the grid on BullMQ at redis://HOST:PORT[/DB] instead of running it here, print it and exit; `umd-bench worker` runs it (--out must be a folder every worker sees)',
  )
  .option('--wait', 'with --queue: follow the grid until its report is written', false)
  .option('--attempts <n>', 'with --queue: tries per unit before it is reported failed', positiveInteger('--attempts'), 3)
  .action(async (flags: PaperFlags) => paperCommand(flags));

program
  .command('worker')
  .description(
    'Run units of the grid queued at --queue, on this machine, until stopped (Ctrl-C hands the running unit back with a checkpoint). The grid’s ' +
      'output folder must be visible here at the same path (a shared file system).',
  )
  .requiredOption('--queue <url>', 'redis://HOST:PORT[/DB]')
  .option('--concurrency <n>', 'units at once in this process (one training uses about one core)', positiveInteger('--concurrency'), 1)
  .option('--until-done', 'exit once the grid’s report is written', false)
  .option('--image-cache <dir>', "this machine's decoded-image cache ('none' for none)", '.cache/umd-images')
  .addOption(backendOption())
  .addOption(progressOption())
  .addOption(new Option('--lock-seconds <s>', 'job lock duration').argParser(positiveInteger('--lock-seconds')).default(120).hideHelp())
  .addOption(new Option('--stalled-seconds <s>', 'stalled-job check interval').argParser(positiveInteger('--stalled-seconds')).default(30).hideHelp())
  .addOption(
    new Option('--blocked-seconds <s>', 'delay of a unit whose upstream is not done').argParser(positiveInteger('--blocked-seconds')).default(10).hideHelp(),
  )
  .action(async (flags: WorkerFlags) => workerCommand(flags));

program
  .command('status')
  .description('Show the queued grid’s units: waiting, active, completed and failed, each unit’s time, the workers and an ETA.')
  .requiredOption('--queue <url>', 'redis://HOST:PORT[/DB]')
  .action(async (flags: { queue: string }) => {
    console.log(renderQueueStatus(await queueStatus(parseQueueTarget(flags.queue))));
  });

program
  .command('report')
  .description(
    'Render the results table of a benchmark’s output folder from whatever is done (in one process or by a queue’s workers); writes results.md and results.json there too.',
  )
  .requiredOption('-o, --out <dir>', 'the benchmark’s output folder')
  .addOption(new Option('--split <split>', 'the split reported').choices(['validate', 'test']).default('validate'))
  .option('--no-timings', 'leave out times (generation time, wall columns): two runs of one grid print the same bytes')
  .option(
    '--ledger <file>',
    'also append each complete evaluation (every split) to this results ledger, one record per seed, skipping those it holds (`umd-bench ledger` renders it)',
  )
  .option('--experiment-prefix <text>', 'the ledger experiment name before each row’s label (default `umd-bench paper --profile <profile>`)')
  .action(async (flags: { out: string; split: 'validate' | 'test'; timings: boolean; ledger?: string; experimentPrefix?: string }) => {
    const report = await reportBenchFolder(flags.out, { split: flags.split, render: { timings: flags.timings } });
    console.log(report.markdown);
    if (flags.ledger) {
      const fallback = { commit: gitCommit(), machine: machineDescription('backend not recorded') };
      const { added, present } = await appendPaperLedger(flags.out, flags.ledger, {
        fallback,
        ...(flags.experimentPrefix ? { experimentPrefix: flags.experimentPrefix } : {}),
      });
      console.error(`Ledger: ${added.length} record(s) appended to ${flags.ledger} (${present} already there)`);
    }
  });

program
  .command('perf')
  .description(
    'Run the performance workloads of @umd/core, @umd/encoders, @umd/mr-pretrain and @umd/data, each script in its own process, and print one ' +
      'JSON line per workload: { package, workload, ms, samplesPerSecond?, imagesPerSecond?, peakRssMiB, backend, threads, details }.',
  )
  .option('--quick', 'fewer timed runs and without the slowest workloads (a few minutes)', false)
  .option('--reference', "also run @umd/core's PyTorch reference (needs python3 with torch)", false)
  .option('--packages <list>', 'only these packages (core, encoders, mr-pretrain, data), comma-separated', (value: string) => value.split(','))
  .option('--only <list>', 'only these workloads, comma-separated (e.g. tiny-forward; with --packages the other scripts do not start)', (value: string) =>
    value.split(','),
  )
  .addOption(new Option('--backend <name>', 'tfjs backend for every workload (default: each script’s)').choices([...backendNames]))
  .option(
    '--repo <dir>',
    'the UMD-TS checkout whose workload scripts run, dependencies installed (default: the one this command is in; without one, the compiled scripts the installed packages ship: encoders, mr-pretrain, data)',
  )
  .action(async (flags: PerfFlags) => perfCommand(flags));

program
  .command('ledger')
  .description(
    'Render the results ledger page from its JSON lines (one line per run, written by the runs themselves): per dataset, each experiment with ' +
      'mean ± 95% t-interval over seeds, then every run with its command, config, commit and machine (with --runs-dir: one runs page per dataset). ' +
      'Never edit the pages by hand.',
  )
  .option('--in <file>', 'the ledger (JSON lines)', 'docs/results/ledger.jsonl')
  .option('--out <file>', 'the page to write', 'docs/results.md')
  .option('--runs-dir <dir>', 'write each dataset’s runs to <dir>/<dataset>.md and link them from the page, instead of listing every run on it')
  .option('--readme <file>', 'also replace the headline table between the ledger-headline markers of this Markdown file (the root README)')
  .option('--check', 'exit 1 when the page (and the README headline) is not what the ledger renders (for CI)', false)
  .action(async (flags: LedgerFlags) => ledgerCommand(flags));

interface LedgerFlags {
  readonly in: string;
  readonly out: string;
  readonly runsDir?: string;
  readonly readme?: string;
  readonly check: boolean;
}

async function ledgerCommand(flags: LedgerFlags): Promise<void> {
  const records = parseLedger(readFileSync(flags.in, 'utf8'), flags.in);
  const fromPage = path.relative(path.dirname(path.resolve(flags.out)), path.resolve(flags.in)); // as a link from the page
  const outputs: { file: string; text: string; runs?: number }[] = [];
  if (flags.runsDir) {
    const runsDir = flags.runsDir;
    const runsFile = (dataset: string): string => path.join(runsDir, `${dataset.replace(/[^A-Za-z0-9._-]/g, '-')}.md`);
    const link = (dataset: string): string =>
      path
        .relative(path.dirname(path.resolve(flags.out)), path.resolve(runsFile(dataset)))
        .split(path.sep)
        .join('/');
    outputs.push({ file: flags.out, text: renderLedgerMarkdown(records, { title: 'Results ledger', source: fromPage, runsLink: link }) });
    for (const dataset of new Set(records.map((record) => record.dataset))) {
      const fromRuns = path.relative(path.dirname(path.resolve(runsFile(dataset))), path.resolve(flags.in));
      outputs.push({
        file: runsFile(dataset),
        text: renderLedgerRuns(records, dataset, { source: fromRuns }),
        runs: records.filter((record) => record.dataset === dataset).length,
      });
    }
  } else outputs.push({ file: flags.out, text: renderLedgerMarkdown(records, { title: 'Results ledger', source: fromPage }) });
  if (flags.readme) {
    const fromReadme = path.relative(path.dirname(path.resolve(flags.readme)), path.resolve(flags.in));
    outputs.push({
      file: flags.readme,
      text: replaceLedgerHeadline(readFileSync(flags.readme, 'utf8'), renderLedgerHeadline(records, { source: fromReadme })),
    });
  }
  for (const { file, text, runs = records.length } of outputs) {
    if (flags.check) {
      let current = '';
      try {
        current = readFileSync(file, 'utf8');
      } catch {
        // absent: out of date
      }
      if (current !== text) {
        console.error(`${file} is not what ${flags.in} renders: run \`pnpm ledger\``);
        process.exitCode = 1;
      } else console.log(`${file}: up to date (${runs} runs)`);
    } else {
      await writeFileAtomic(file, text);
      console.log(`${file}: ${runs} runs`);
    }
  }
}

async function paperCommand(flags: PaperFlags): Promise<void> {
  if (!flags.phantom && flags.data === undefined) {
    throw new InvalidConfigError(
      '--data',
      undefined,
      'the folder holding vqa-rad/, slake/ and medpix-2.0/ (or set UMD_DATA_DIR); see apps/trainer/README.md "Data"',
    );
  }
  const profile = paperProfiles[flags.profile];
  const outDir = path.resolve(flags.out ?? path.join('runs', `bench-${profile.name}`));
  const progress = createReporter(flags.progress);
  if (flags.queue !== undefined) return enqueueCommand(flags, outDir, progress);
  const runtime = await initRuntime({ backend: flags.backend, onLog: (line) => progress.log(line) });
  progress.log(`[umd-bench] backend ${runtime.backend}${runtime.threads ? ` (${runtime.threads} threads)` : ''}`);

  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(130); // a second Ctrl-C: stop now (the last checkpoint stays valid)
    progress.log('[umd-bench] stopping after the current step (a checkpoint is written); Ctrl-C again to stop at once');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const run = await runPaperBenchmark({
      ...gridSpecOf(flags, outDir),
      resume: flags.resume,
      signal: controller.signal,
      progress,
    });
    progress.end();
    console.log(`\n${run.markdown}`);
    console.log(`Results: ${run.resultsPath} (and results.json); state: ${run.stateFile}`);
    console.log(
      `This session: ${formatSeconds(run.seconds)} wall; ${run.ran.length} units run, ${run.skipped.length} complete from earlier sessions skipped` +
        `${run.failed.length > 0 ? `, ${run.failed.length} failed (${run.failed.join(', ')})` : ''}.`,
    );
    if (run.status === 'aborted') {
      console.log(`\nStopped. Resume with:\n  ${resumeCommand(flags, outDir)}`);
      process.exitCode = 130;
    } else if (run.status === 'failed') {
      console.error(
        `\n${run.failed.length} unit${run.failed.length === 1 ? '' : 's'} failed (errors in ${run.stateFile}); run the same command again to retry.`,
      );
      process.exitCode = 1;
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** The grid `paper`'s flags name, run here or enqueued. */
function gridSpecOf(flags: PaperFlags, outDir: string): PaperGridSpec {
  return {
    profile: paperProfiles[flags.profile],
    data: flags.phantom ? { kind: 'phantom' } : { kind: 'real', dir: flags.data! },
    outDir,
    ...(flags.tasks ? { tasks: flags.tasks } : {}),
    ...(flags.variants ? { variants: flags.variants } : {}),
    ...(flags.seeds ? { seeds: flags.seeds } : {}),
    floors: flags.floors,
    split: flags.split,
    imageCache: flags.imageCache === 'none' ? null : flags.imageCache,
  };
}

async function enqueueCommand(flags: PaperFlags, outDir: string, progress: ProgressReporter): Promise<void> {
  const queue = parseQueueTarget(flags.queue!);
  await initRuntime({ backend: flags.backend, onLog: (line) => progress.log(line) });
  const { grid, added, completeBefore } = await enqueuePaperGrid({
    ...gridSpecOf(flags, outDir),
    queue,
    attempts: flags.attempts,
    progress,
  });
  console.log(
    `${added ? 'Enqueued' : 'Already in the queue:'} grid ${grid.gridId} on ${queue.display}: ${grid.units.length} units` +
      `${completeBefore > 0 ? ` (${completeBefore} complete in ${outDir} already)` : ''}; out ${grid.outDir}`,
  );
  for (const id of grid.units) console.log(`  ${id}`);
  console.log(
    `\nRun workers where ${grid.outDir} is visible at that path:\n  umd-bench worker --queue ${flags.queue}\nFollow: umd-bench status --queue ${flags.queue}`,
  );
  if (!flags.wait) return;
  progress.begin('queue', grid.units.length);
  for (;;) {
    const status = await queueStatus(queue);
    const { waiting, active, completed, failed } = status.counts;
    progress.update(completed + failed, {
      waiting: String(waiting),
      active: String(active),
      failed: String(failed),
      workers: String(status.workers),
      ...(status.etaSeconds === undefined ? {} : { eta: formatSeconds(status.etaSeconds) }),
    });
    if (status.report === 'completed' || status.report === 'failed') break;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  progress.end();
  const report = await reportBenchFolder(outDir, { split: flags.split });
  console.log(`\n${report.markdown}`);
}

async function workerCommand(flags: WorkerFlags): Promise<void> {
  const queue = parseQueueTarget(flags.queue);
  const progress = createReporter(flags.progress);
  const runtime = await initRuntime({ backend: flags.backend, onLog: (line) => progress.log(line) });
  progress.log(`[umd-bench] backend ${runtime.backend}${runtime.threads ? ` (${runtime.threads} threads)` : ''}`);
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130);
    progress.log('[umd-bench] stopping: the running unit stops after its current step and goes back to the queue; Ctrl-C again to stop at once');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const worker = await startBenchWorker({
      queue,
      concurrency: flags.concurrency,
      imageCache: flags.imageCache === 'none' ? null : flags.imageCache,
      untilDone: flags.untilDone,
      lockDurationMs: flags.lockSeconds * 1000,
      stalledIntervalMs: flags.stalledSeconds * 1000,
      blockedDelayMs: flags.blockedSeconds * 1000,
      signal: controller.signal,
      progress,
    });
    await worker.closed;
    progress.end();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The command that continues this benchmark (the same grid and profile, resuming by default). */
function resumeCommand(flags: PaperFlags, outDir: string): string {
  const parts = ['umd-bench paper'];
  if (flags.phantom) parts.push('--phantom');
  else parts.push(`--data ${flags.data}`);
  parts.push(`--profile ${flags.profile}`, `--out ${outDir}`, `--split ${flags.split}`);
  if (flags.seeds) parts.push(`--seeds ${flags.seeds}`);
  if (flags.tasks) parts.push(`--tasks ${flags.tasks.join(',')}`);
  if (flags.variants) parts.push(`--variants ${flags.variants.join(',')}`);
  if (!flags.floors) parts.push('--no-floors');
  return parts.join(' ');
}

async function perfCommand(flags: PerfFlags): Promise<void> {
  const run = await runPerf({
    quick: flags.quick,
    reference: flags.reference,
    ...(flags.packages ? { packages: flags.packages } : {}),
    ...(flags.only ? { only: flags.only } : {}),
    ...(flags.backend ? { backend: flags.backend } : {}),
    ...(flags.repo ? { repoRoot: path.resolve(flags.repo) } : {}),
    onRecord: (record) => console.log(JSON.stringify(record)),
    onLog: (line) => console.error(line),
  });
  for (const failure of run.failures) console.error(`${failure.name}: ${failure.message}`);
  if (run.failures.length > 0) process.exitCode = 1;
  if (flags.only && run.records.length === 0 && run.failures.length === 0) {
    console.error(`no workload named ${flags.only.join(', ')} ran (the names are the \`workload\` fields of the JSON lines)`);
    process.exitCode = 1;
  }
}

function createReporter(mode: PaperFlags['progress']): ProgressReporter {
  const tty = mode === 'bar' || (mode === 'auto' && process.stdout.isTTY === true);
  return tty ? createTtyReporter(process.stdout) : createPlainReporter({ write: (line) => console.log(line) });
}

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof CommanderError) {
    // commander has printed the message (or the help / version): 0 for those, 2 for a malformed command line.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    if (UmdError.isInstance(error)) console.error(`${error.name}: ${error.message}`);
    else console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  }
}
