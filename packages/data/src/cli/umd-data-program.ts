import { createRequire } from 'node:module';
import path from 'node:path';

import { SingleBar } from 'cli-progress';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { UmdError } from '@umd/core';

import { onErrorChoices } from '../datasets/dataset-load.js';
import { decodeDatasetImages, type DatasetDecodeReport } from '../datasets/decode-dataset-images.js';
import { DatasetImagesError } from '../errors/dataset-images-error.js';
import { summarizeDataset } from '../datasets/summarize-dataset.js';
import type { AnswerVocabularySource } from '../vocabulary/answer-vocabulary.js';
import { datasetNames, defaultPhantomCounts, loadNamedDataset, type DatasetName, type NamedDatasetOptions } from './load-named-dataset.js';

const { version: packageVersion } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** Where the CLI writes: stdout gets the JSON result only, stderr gets messages. */
export interface UmdDataIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Draw progress as a terminal bar on stderr (default: plain lines at every tenth). */
  readonly progressBar?: boolean;
}

/** Exit codes: 0 success (and `--help`), 1 the data or an option value is wrong, 2 the command line is malformed. */
export const exitCodes = { ok: 0, dataError: 1, usageError: 2 } as const;

interface InspectFlags extends NamedDatasetOptions {
  readonly dataset: DatasetName;
  readonly vocabulary: AnswerVocabularySource;
  readonly outsideLimit: number;
  readonly compact?: boolean;
  readonly decode?: boolean;
  readonly maxInputPixels?: number;
}

/** Builds the `umd-data` command tree. Output goes through `io`; commander never exits the process itself. */
export function createUmdDataProgram(io: UmdDataIo): Command {
  const program = new Command('umd-data')
    .description('Inspect medical vision-language datasets in their official layouts (see the @umd/data README).')
    .version(packageVersion)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('inspect')
    .description(
      'Load a dataset and print one JSON object: per split the samples, distinct and missing images, skipped records ' +
        'with reasons, open/closed counts (VQA), label counts (classification) and answer-vocabulary coverage.',
    )
    .addOption(new Option('--dataset <name>', 'which adapter reads the folder').choices(datasetNames).makeOptionMandatory())
    .option('--root <dir>', 'the dataset folder, as downloaded (required, except for phantom)')
    .addOption(
      new Option('--on-error <policy>', "bad records: 'skip' lists them in the report, 'throw' stops at the first").choices(onErrorChoices).default('skip'),
    )
    .addOption(
      new Option('--vocabulary <source>', "answer vocabulary from the 'train' split, or from 'all' splits (M3AE)").choices(['train', 'all']).default('train'),
    )
    .option('--scheme <scheme>', "vqa-rad: 'mevf' (default) or 'official'; medpix: 'official' (default) or 'all'")
    .option('--language <lang>', "slake: 'en' (default), 'zh' or 'all'")
    .option('--task <task>', "jsonl (required), medpix ('classification' by default), phantom ('vqa' by default): 'vqa', 'caption' or 'classification'")
    .option('--label-field <field>', "medpix: 'Location Category' (default), 'Type', 'Plane'; melinda: 'i_meth_label' (default), ...")
    .option('--subset <subset>', "roco: 'radiology' (default) or 'non-radiology'")
    .option('--seed <n>', 'phantom: generator seed (default 1)', count)
    .option('--counts <train,validate,test>', `phantom: images per split (default ${defaultPhantomCounts})`)
    .option('--outside-limit <n>', 'how many out-of-vocabulary answers to list per split', count, 10)
    .option('--compact', 'print the JSON on one line')
    .option('--decode', 'also decode every image, in parallel and as training does, and list each one that fails (exit 1 when any does)')
    .option('--max-input-pixels <n>', 'with --decode: the decompression-bomb guard in pixels (default 100000000, as in training)', count)
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  umd-data inspect --dataset vqa-rad --root data/vqa-rad\n' +
        '  umd-data inspect --dataset vqa-rad --root data/vqa-rad --decode\n' +
        '  umd-data inspect --dataset slake --root data/slake --language en\n' +
        '  umd-data inspect --dataset medpix --root data/medpix-2.0 --label-field Plane\n' +
        '  umd-data inspect --dataset jsonl --task vqa --root my-data\n' +
        '  umd-data inspect --dataset phantom --task classification --counts 50,10,10\n\n' +
        'Exit codes: 0 ok, 1 dataset or option value invalid, or an image failed to decode with --decode (message on stderr), 2 malformed command line.',
    )
    .action(async (flags: InspectFlags, command: Command) => {
      if (flags.root === undefined && flags.dataset !== 'phantom') {
        command.error(`error: required option '--root <dir>' not specified (every dataset but phantom is read from a folder)`, {
          exitCode: exitCodes.usageError,
        });
      }
      const load = await loadNamedDataset(flags.dataset, {
        // Relative to where the user typed the command: `pnpm --filter … umd-data` runs scripts in the package folder
        // but records the caller's folder in INIT_CWD.
        root: flags.root === undefined ? undefined : path.resolve(process.env['INIT_CWD'] ?? process.cwd(), flags.root),
        onError: flags.onError,
        scheme: flags.scheme,
        language: flags.language,
        task: flags.task,
        labelField: flags.labelField,
        subset: flags.subset,
        seed: flags.seed,
        counts: flags.counts,
      });
      const summary = summarizeDataset(load, { vocabulary: flags.vocabulary, outsideAnswerLimit: flags.outsideLimit });
      const decode = flags.decode ? await decodeWithProgress(load, flags.maxInputPixels, io) : undefined;
      io.stdout(`${JSON.stringify(decode ? { ...summary, decode } : summary, null, flags.compact ? undefined : 2)}\n`);
      if (decode && decode.failures.length > 0) throw new DatasetImagesError(load.root ?? load.name, decode);
    });

  return program;
}

/** {@link decodeDatasetImages} with progress on stderr: a bar on a terminal, else a line at every tenth. */
async function decodeWithProgress(
  load: Parameters<typeof decodeDatasetImages>[0],
  maxInputPixels: number | undefined,
  io: UmdDataIo,
): Promise<DatasetDecodeReport> {
  const bar = io.progressBar ? new SingleBar({ format: 'decode [{bar}] {value}/{total} images | ETA {eta_formatted}', stream: process.stderr }) : undefined;
  let reported = 0;
  const report = await decodeDatasetImages(load, {
    ...(maxInputPixels === undefined ? {} : { maxInputPixels }),
    onProgress: (done, total) => {
      if (bar) {
        if (done === 1) bar.start(total, 0);
        bar.update(done);
        return;
      }
      const tenth = Math.floor((10 * done) / total);
      if (tenth > reported || done === total) {
        reported = tenth;
        io.stderr(`decode ${done}/${total} images\n`);
      }
    },
  });
  bar?.stop();
  return report;
}

/** Runs `umd-data` with user arguments (no `node`/script prefix) and returns the exit code. */
export async function runUmdData(argv: readonly string[], io: UmdDataIo): Promise<number> {
  const program = createUmdDataProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCodes.ok;
  } catch (error) {
    // commander has already written its message (or the help text).
    if (error instanceof CommanderError) return error.exitCode === 0 ? exitCodes.ok : exitCodes.usageError;
    if (UmdError.isInstance(error)) {
      io.stderr(`umd-data: ${error.name}: ${error.message}\n`);
      return exitCodes.dataError;
    }
    io.stderr(`umd-data: ${error instanceof Error ? error.message : String(error)}\n`);
    return exitCodes.dataError;
  }
}

function count(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number (0 or more).');
  return parsed;
}
