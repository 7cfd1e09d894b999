#!/usr/bin/env node
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { backendNames, gitCommit, initRuntime, InvalidConfigError, machineDescription, UmdError, type BackendName } from '@umd/core';
import { parseDicomWindow, windowPresets, type DicomWindow } from '@umd/data';
import { ledgerLine } from '@umd/evaluation';

import { loadPipelineConfig } from './config/load-pipeline-config.js';
import { defaultConfigName, readyConfigs, resolveConfigPath } from './config/ready-configs.js';
import { stageNames, type StageName } from './config/pipeline-config-schema.js';
import { createPlainReporter } from './progress/plain-reporter.js';
import type { ProgressReporter } from './progress/progress-reporter.js';
import { createTtyReporter } from './progress/tty-reporter.js';
import { ledgerRecords } from './report/ledger-records.js';
import type { EvaluateResult } from './stages/run-evaluate-stage.js';
import { runPipeline } from './stages/run-pipeline.js';
import { runSmoke } from './smoke.js';
import { exportRun } from './bundle/export-run.js';
import { predictBatch } from './bundle/predict-batch.js';
import { formatPrediction, predictCommand } from './bundle/predict-command.js';
import { serveModel } from './serve/serve-model.js';

function integer(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError(`${name} must be a positive integer.`);
    return parsed;
  };
}

function nonNegativeInteger(name: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError(`${name} must be a whole number (0 or more).`);
    return parsed;
  };
}

function dicomWindow(value: string): DicomWindow {
  const window = parseDicomWindow(value);
  if (window === undefined)
    throw new InvalidArgumentError(`expected file, range, ${Object.keys(windowPresets).join(', ')}, or centre,width such as -600,1500.`);
  return window;
}

const backendOption = () =>
  new Option('--backend <name>', 'tfjs backend (or set UMD_BACKEND)')
    .choices([...backendNames])
    .env('UMD_BACKEND')
    .default('auto');

interface PredictFlags {
  readonly model: string;
  readonly image?: string;
  readonly batch?: string;
  readonly out: string;
  readonly question?: string;
  readonly text?: string;
  readonly captions?: string;
  readonly topK: number;
  readonly window?: DicomWindow;
  readonly frame?: number;
  readonly json: boolean;
  readonly backend: BackendName;
  readonly progress: 'auto' | 'bar' | 'plain';
}

interface PipelineFlags {
  readonly config: string;
  readonly data?: string;
  readonly out?: string;
  readonly resume: boolean;
  readonly backend: BackendName;
  readonly progress: 'auto' | 'bar' | 'plain';
  readonly checkFloor: boolean;
  readonly ledger?: string;
  readonly experiment?: string;
  readonly seed?: number;
}

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const program = new Command('umd-train')
  .description('UMD-TS trainer: pre-train, calibrate, fine-tune and evaluate medical vision-language models from a config file.')
  .version(version)
  .exitOverride() // usage errors exit 2 (see the end of this file); subcommands inherit it
  .showHelpAfterError();

/** The options every pipeline command shares. */
function pipelineCommand(name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .option('-c, --config <file>', `config file (.yaml/.yml/.json) or ready config name (see 'umd-train configs')`, defaultConfigName)
    .addOption(new Option('--data <dir>', 'folder the config’s dataset roots are relative to').env('UMD_DATA_DIR'))
    .option('-o, --out <dir>', 'output folder (default: runs/<config name>)')
    .option('--resume', 'skip complete stages and continue a partial one from its checkpoint (without it, the stages that run start over)', false)
    .addOption(backendOption())
    .addOption(new Option('--progress <mode>', 'bar with ETA on a terminal, plain lines otherwise').choices(['auto', 'bar', 'plain']).default('auto'))
    .option('--check-floor', 'exit 1 unless the 95% interval of the tuned model lies above the text-only floor (test split, else validation)', false)
    .option('--ledger <file>', 'append the evaluated splits to this results ledger (JSON lines; `umd-bench ledger` renders it); needs --experiment')
    .option('--experiment <name>', 'the ledger name of this setting (runs of one setting over seeds share it)')
    .option(
      '--seed <n>',
      'override the config’s `seed` (model, masks, loader order, validation carve); default output folder runs/<name>-seed<n>',
      integer('--seed'),
    );
}

pipelineCommand('run', 'Run the stages the config names (pretrain → calibrate → finetune → evaluate), then write the report.').action(
  async (flags: PipelineFlags) => runCommand(flags),
);
for (const stage of stageNames) {
  pipelineCommand(stage, `Run only the ${stage} stage, reading earlier stages' results from the same --out folder, then rewrite the report.`).action(
    async (flags: PipelineFlags) => runCommand(flags, [stage]),
  );
}

program
  .command('configs')
  .description('List the ready configs (use a name as --config).')
  .action(() => {
    for (const config of readyConfigs()) console.log(`${config.name.padEnd(24)} ${config.description}\n${''.padEnd(24)} ${config.file}`);
  });

program
  .command('smoke')
  .description('Check the runtime end to end: train a tiny transformer on a synthetic copy task and checkpoint it.')
  .addOption(backendOption())
  .option('--steps <n>', 'training steps', integer('--steps'), 150)
  .option('--seed <n>', 'random seed', integer('--seed'), 1)
  .option('--out <dir>', 'output folder', 'runs/smoke')
  .action(async (options: { backend: BackendName; steps: number; seed: number; out: string }) => {
    const started = performance.now();
    const result = await runSmoke({ ...options, log: (line) => console.log(line) });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `[smoke] done in ${seconds} s: loss ${result.firstLoss.toFixed(3)} -> ${result.lastLoss.toFixed(3)} ` +
        `(chance ${Math.log(32).toFixed(3)}); checkpoint ${result.checkpoint ?? 'none'}`,
    );
    if (!(result.lastLoss < 0.5 * result.firstLoss)) {
      console.error('[smoke] FAILED: the loss did not fall by half; the runtime is not training correctly.');
      process.exitCode = 1;
    }
  });

program
  .command('export')
  .description('Write the tuned model of a run folder as a self-contained model bundle (weights, config, tokenizer, model card, checksums).')
  .requiredOption('--run <dir>', 'a run folder with a complete finetune stage (the --out of `umd-train run`)')
  .requiredOption('--to <dir>', 'the bundle folder to create (must be new or empty)')
  .option('--float16', 'store the weights as float16 (half the size; answers move by about 1e-3)', false)
  .addOption(backendOption())
  .action(async (options: { run: string; to: string; float16: boolean; backend: BackendName }) => {
    await initRuntime({ backend: options.backend, onLog: () => undefined });
    const bundle = await exportRun(options);
    console.log(`Exported ${bundle.config.task.kind} model (step ${bundle.config.source.step}) to ${bundle.dir}:`);
    for (const [name, bytes] of Object.entries(bundle.sizes)) console.log(`  ${name.padEnd(18)} ${(bytes / 2 ** 20).toFixed(2)} MiB`);
    if (bundle.samples.length > 0)
      console.log(`  samples/           ${bundle.samples.length} test scans to try it on (samples/index.json has their questions)`);
    const input = bundle.config.task.kind === 'vqa' ? '--question "…"' : '--text "…"';
    console.log(`Ask it: umd-train predict --model ${bundle.dir} --image <file> ${input}`);
    console.log(`Or in the browser: umd-train serve --model ${bundle.dir}`);
  });

program
  .command('predict')
  .description('Answer a question about an image (VQA) or classify an image with its text, with a model bundle from `umd-train export`.')
  .requiredOption('--model <dir>', 'a model bundle folder')
  .option('--image <file>', 'the image (PNG, JPEG, DICOM, …)')
  .option('--batch <file>', 'answer every row of a CSV (image,question or image,text) or JSON lines file instead; one JSON line per row goes to --out')
  .option('--out <file>', 'with --batch: where the answers go', 'predictions.jsonl')
  .option('--question <text>', 'the question (VQA models)')
  .option('--text <text>', 'the text paired with the image (classification models; default empty)')
  .option('--captions <file>', 'retrieval models: a text file of captions to rank for the image, one per line')
  .option('--top-k <n>', 'answers to list', integer('--top-k'), 5)
  .option(
    '--window <window>',
    `DICOM: the VOI window of a grey image: file (default), range, ${Object.keys(windowPresets).join(', ')}, or centre,width (-600,1500)`,
    dicomWindow,
  )
  .option('--frame <n>', 'DICOM: the frame of a multi-frame file, from 0', nonNegativeInteger('--frame'))
  .option('--json', 'print one JSON object (each answer with its probability) instead of lines', false)
  .addOption(backendOption())
  .addOption(
    new Option('--progress <mode>', 'with --batch: bar with ETA on a terminal, plain lines otherwise').choices(['auto', 'bar', 'plain']).default('auto'),
  )
  .action(async (options: PredictFlags, command: Command) => {
    await initRuntime({ backend: options.backend, onLog: () => undefined });
    const dicom =
      options.window === undefined && options.frame === undefined
        ? undefined
        : { ...(options.window ? { window: options.window } : {}), ...(options.frame === undefined ? {} : { frame: options.frame }) };
    if ((options.image === undefined) === (options.batch === undefined))
      command.error('error: give --image (one image) or --batch (a file of rows), not both or neither');
    if (options.batch !== undefined) {
      const summary = await predictBatch({
        model: options.model,
        batch: options.batch,
        out: options.out,
        topK: options.topK,
        ...(dicom ? { dicom } : {}),
        progress: createReporter(options.progress),
      });
      console.log(
        `${summary.answered} of ${summary.rows} rows answered, ${summary.failed} failed (each with its error); ${summary.msPerRow.toFixed(0)} ms a row; answers in ${summary.out}`,
      );
      if (summary.failed > 0) process.exitCode = 1;
      return;
    }
    const captions = options.captions === undefined ? undefined : readCaptions(options.captions);
    const output = await predictCommand({
      model: options.model,
      image: options.image!,
      text: options.question ?? options.text ?? '',
      topK: options.topK,
      ...(dicom ? { dicom } : {}),
      ...(captions ? { captions } : {}),
    });
    console.log(options.json ? JSON.stringify(output) : formatPrediction(output));
  });

program
  .command('serve')
  .description('Serve a local web page that runs a model bundle in the browser: drop an image, ask, see the top answers and a heat map.')
  .requiredOption('--model <dir>', 'a model bundle folder (`umd-train export`)')
  .option('--port <n>', 'port to listen on (0: any free port)', nonNegativeInteger('--port'), 8080)
  .option('--host <address>', 'address to listen on (default: this machine only)', '127.0.0.1')
  .option('--samples <dir>', 'a folder of sample images (PNG, JPEG, DICOM) the page offers')
  .action(async (options: { model: string; port: number; host: string; samples?: string }) => {
    await initRuntime({ backend: 'cpu', onLog: () => undefined });
    const served = await serveModel(options);
    console.log(`Serving ${path.resolve(options.model)} at ${served.url} (the model runs in the page; this server only serves files). Ctrl-C stops it.`);
    process.once('SIGINT', () => void served.close().then(() => process.exit(0)));
  });

/** The captions of a `--captions` file: one per non-empty line. */
function readCaptions(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidConfigError('--captions', file, `a readable text file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** Loads the config, starts the runtime, runs the stages with progress and Ctrl-C handling, prints the outcome. */
async function runCommand(flags: PipelineFlags, stages?: readonly StageName[]): Promise<void> {
  const started = performance.now();
  if ((flags.ledger === undefined) !== (flags.experiment === undefined)) {
    throw new InvalidConfigError('--ledger, --experiment', { ledger: flags.ledger, experiment: flags.experiment }, 'both or neither');
  }
  const commit = gitCommit(); // the code that runs is the code at the start
  const configFile = resolveConfigPath(flags.config);
  const loaded = await loadPipelineConfig(configFile);
  const config = flags.seed === undefined ? loaded : { ...loaded, seed: flags.seed };
  const outDir = path.resolve(flags.out ?? path.join('runs', flags.seed === undefined ? config.name : `${config.name}-seed${flags.seed}`));
  const progress = createReporter(flags.progress);
  const runtime = await initRuntime({ backend: flags.backend, onLog: (line) => progress.log(line) });
  progress.log(`[umd-train] config ${configFile} (${config.name}); out ${outDir}; backend ${runtime.backend}`);

  const controller = new AbortController();
  const onSigint = (): void => {
    if (controller.signal.aborted) process.exit(130); // a second Ctrl-C: stop now
    progress.log('[umd-train] stopping after the current step (a checkpoint is written); Ctrl-C again to stop at once');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const run = await runPipeline({
      config,
      outDir,
      ...(flags.data ? { dataDir: flags.data } : {}),
      resume: flags.resume,
      signal: controller.signal,
      progress,
      ...(stages ? { stages } : {}),
    });
    progress.end();
    const minutes = ((performance.now() - started) / 60_000).toFixed(1);
    console.log(`\nReport: ${run.report.reportPath}`);
    for (const line of run.report.headline) console.log(`  ${line}`);
    if (run.abortedAt) {
      const command = [`umd-train ${stages ? stages.join(' ') : 'run'}`, `--config ${flags.config}`, `--out ${outDir}`];
      if (flags.data) command.push(`--data ${flags.data}`);
      if (flags.seed !== undefined) command.push(`--seed ${flags.seed}`);
      console.log(`\nStopped during ${run.abortedAt} after ${minutes} min. Resume with:\n  ${[...command, '--resume'].join(' ')}`);
      process.exitCode = 130;
    } else {
      console.log(`\nDone in ${minutes} min (${run.outcomes.map((outcome) => `${outcome.stage} ${outcome.status}`).join(', ')}).`);
      const evaluated = run.outcomes.find((outcome) => outcome.stage === 'evaluate' && outcome.status === 'complete');
      if (flags.ledger && flags.experiment && evaluated) {
        const evaluation = JSON.parse(readFileSync(path.join(outDir, 'evaluate', 'metrics.json'), 'utf8')) as EvaluateResult;
        const records = ledgerRecords(config, evaluation, {
          experiment: flags.experiment,
          command: `umd-train ${process.argv.slice(2).join(' ')}`,
          config: flags.config,
          commit,
          machine: machineDescription(runtime.backend),
          wallMinutes: (performance.now() - started) / 60_000,
          date: new Date().toISOString(),
        });
        const lines = records.map(ledgerLine).join(''); // every record checked before anything is written
        mkdirSync(path.dirname(path.resolve(flags.ledger)), { recursive: true });
        appendFileSync(flags.ledger, lines);
        console.log(`Ledger: ${records.length} record(s) (${records.map((record) => record.split).join(', ')}) appended to ${flags.ledger}`);
      }
      if (run.report.belowFloor) {
        const message = `the tuned model does not clear the ${run.report.belowFloor} with its whole 95% interval: it has not shown that it uses the image.`;
        if (flags.checkFloor) {
          console.error(`FAILED (--check-floor): ${message}`);
          process.exitCode = 1;
        } else console.log(`Note: ${message}`);
      }
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function createReporter(mode: PipelineFlags['progress']): ProgressReporter {
  const tty = mode === 'bar' || (mode === 'auto' && process.stdout.isTTY === true);
  return tty ? createTtyReporter(process.stdout) : createPlainReporter({ write: (line) => console.log(line) });
}

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof CommanderError) {
    // commander has printed the message (or the help / version): 0 for those, 2 for a malformed command line.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (UmdError.isInstance(error)) {
    console.error(`${error.name}: ${error.message}`);
    process.exitCode = 1;
  } else {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  }
}
