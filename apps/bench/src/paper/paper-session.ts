import { existsSync } from 'node:fs';
import path from 'node:path';

import { currentRuntime, gitCommit, machineDescription, UmdError } from '@umd/core';
import { loadWordPieceTokenizer, sampleText, trainWordPieceTokenizer, type WordPieceTokenizer } from '@umd/data';
import type { UmdModelConfig } from '@umd/encoders';
import {
  createStageContext,
  loadPretrainCorpus,
  loadTaskData,
  resolveDatasetRoot,
  resolveModelConfig,
  runCalibrateStage,
  runEvaluateStage,
  runFinetuneStage,
  runPretrainStage,
  type PipelineConfig,
  type ProgressReporter,
  type StageContext,
  type TaskData,
} from '@umd/trainer';

import {
  recordBenchUnit,
  type BenchGridIdentity,
  type BenchState,
  type CalibrateUnitResult,
  type EvaluateUnitResult,
  type PretrainUnitResult,
  type TuneUnitResult,
  type UnitRecord,
} from './bench-state.js';
import { expandPaperGrid, type PaperPlan, type PaperTask, type PaperVariant } from './paper-grid.js';
import { validatePaperProfile, type PaperProfile } from './paper-profile.js';
import { needsOf, orderedUnits, type PaperUnit } from './paper-units.js';
import { formatSeconds } from './render-paper-results.js';
import { seedUnitFolder, type UpstreamStage } from './seed-unit-folder.js';
import { splitAvailability, taskDataRoots, type ReportSplit, type SplitAvailability } from './split-availability.js';
import { subsample } from './subsample.js';
import { calibrateUnitConfig, pretrainUnitConfig, taskDataConfig, tuneUnitConfig, type BenchDataSource, type UnitConfigOptions } from './unit-config.js';

/** What a paper benchmark is: its profile, data, grid and reported split (the same for every process that runs it). */
export interface PaperGridSpec {
  readonly profile: PaperProfile;
  /** The real datasets under a folder (`--data`), or the built-in phantom data (tests). */
  readonly data: BenchDataSource;
  /** Results, the state file and every unit's folder (`units/`). */
  readonly outDir: string;
  /** Default: every task. */
  readonly tasks?: readonly PaperTask[];
  /** Default: every variant. */
  readonly variants?: readonly PaperVariant[];
  /** Seeds per cell. Default: the profile's. */
  readonly seeds?: number;
  /** Include the text-only floor model row. Default true. */
  readonly floors?: boolean;
  /** The split reported. Default `validate`. Model selection always uses validation; `test` is evaluated once per selected model. */
  readonly split?: ReportSplit;
  /** On-disk image cache. Default `.cache/umd-images` under the current folder; null for none. */
  readonly imageCache?: string | null;
}

/** A grid resolved: everything a process needs to run or report any of its units. */
export interface PaperSetup {
  readonly profile: PaperProfile;
  readonly plan: PaperPlan;
  readonly split: ReportSplit;
  /** Absolute. */
  readonly outDir: string;
  /** Absolute; undefined for the phantom data. */
  readonly dataDir: string | undefined;
  readonly unitOptions: UnitConfigOptions;
  /** What the state file must match. */
  readonly grid: BenchGridIdentity;
  readonly availability: Readonly<Record<PaperTask, SplitAvailability>>;
  /** Every unit on the reported split, in the order one process runs them. */
  readonly units: readonly PaperUnit[];
}

/**
 * Resolves a grid: validates the profile, expands the grid and checks that every dataset it needs is there.
 *
 * @throws InvalidConfigError for an invalid profile or grid; DatasetNotFoundError for a missing dataset
 */
export function preparePaperBenchmark(spec: PaperGridSpec): PaperSetup {
  const profile = validatePaperProfile(spec.profile);
  const plan = expandPaperGrid({
    ...(spec.tasks ? { tasks: spec.tasks } : {}),
    ...(spec.variants ? { variants: spec.variants } : {}),
    seeds: spec.seeds ?? profile.seeds,
    ...(spec.floors === undefined ? {} : { floors: spec.floors }),
  });
  const split = spec.split ?? 'validate';
  const outDir = path.resolve(spec.outDir);
  const dataDir = spec.data.kind === 'real' ? path.resolve(spec.data.dir) : undefined;
  const unitOptions: UnitConfigOptions = {
    profile,
    data: dataDir === undefined ? { kind: 'phantom' } : { kind: 'real', dir: dataDir },
    imageCache: spec.imageCache === null ? null : path.resolve(spec.imageCache ?? '.cache/umd-images'),
    baseSeed: plan.seeds[0] ?? 0,
  };
  if (dataDir !== undefined) {
    for (const task of plan.tasks) resolveDatasetRoot(task, taskDataRoots[task], dataDir); // a missing dataset stops us before any work
    if (plan.pretrainings.length > 0) resolveDatasetRoot('medpix', 'medpix-2.0', dataDir);
  }
  const grid: BenchGridIdentity = JSON.parse(JSON.stringify({ profile, tasks: plan.tasks, rows: plan.rows, seeds: plan.seeds, data: dataDir ?? 'phantom' }));
  const availability = Object.fromEntries(plan.tasks.map((task) => [task, splitAvailability(task, split, dataDir)])) as Record<PaperTask, SplitAvailability>;
  return { profile, plan, split, outDir, dataDir, unitOptions, grid, availability, units: orderedUnits(plan, split, availability) };
}

/**
 * What running one unit came to. `skipped`: complete in an earlier session; `blocked`: a unit it needs is not
 * complete; `busy`: another live process holds the unit's folder (nothing was changed).
 */
export type UnitOutcome =
  | { readonly kind: 'done' | 'skipped'; readonly result: unknown; readonly state: BenchState }
  | { readonly kind: 'aborted'; readonly state: BenchState }
  | { readonly kind: 'failed' | 'busy'; readonly error: string; readonly state: BenchState }
  | { readonly kind: 'blocked'; readonly needs: readonly string[]; readonly state: BenchState };

/** Runs single units of a grid: the one implementation behind the in-process benchmark and the queue's workers. */
export interface PaperUnitRunner {
  /** Loads (or trains, once per grid) the shared vocabulary: a failure here (a missing corpus) is the grid's, not a unit's. */
  ready(): Promise<void>;
  /**
   * Runs `unit` from the given state: skipped when complete; blocked when a unit it needs is not complete; else run
   * (continuing its partial output when it has a record), its record written to the state file under its lock
   * before (`running`) and after (`complete`, `aborted` or `failed` with the error). `label` prefixes the log line.
   */
  run(unit: PaperUnit, state: BenchState, label?: string): Promise<UnitOutcome>;
  /** A task's whole data (every split), loaded once per runner: what the units evaluate on and the report's floors read. */
  taskData(task: PaperTask): Promise<TaskData>;
}

/** Options of {@link createPaperUnitRunner}. */
export interface PaperUnitRunnerOptions {
  /** Aborting stops the running unit after its current step, with a checkpoint. */
  readonly signal?: AbortSignal;
  readonly progress: ProgressReporter;
}

/**
 * The unit runner of a grid. Shared inputs (vocabulary, model config, each task's data) are loaded once per runner,
 * on first use. A unit reads the results of the units it needs from the state passed in (checkpoint paths are
 * relative to the output folder), so any process that sees the output folder can run any unit.
 */
export function createPaperUnitRunner(setup: PaperSetup, options: PaperUnitRunnerOptions): PaperUnitRunner {
  const { profile, plan, split, outDir, dataDir, unitOptions } = setup;
  const { signal, progress } = options;
  const once = <T>(load: () => Promise<T>): (() => Promise<T>) => {
    let promise: Promise<T> | undefined;
    return () => (promise ??= load());
  };
  const fullData = new Map<PaperTask, () => Promise<TaskData>>();
  const tuningData = new Map<PaperTask, () => Promise<TaskData>>();
  for (const task of plan.tasks) {
    const load = once(() => loadTaskData(taskDataConfig(task, unitOptions), dataDir));
    fullData.set(task, load);
    tuningData.set(
      task,
      once(async () => {
        const data = await load();
        const { maxTrainSamples, maxValidationSamples } = profile.finetune;
        return {
          ...data,
          train: subsample(data.train, maxTrainSamples, `${task}:train`),
          validation: subsample(data.validation, maxValidationSamples, `${task}:validation`),
        };
      }),
    );
  }
  const tokenizerFile = path.join(outDir, 'units', 'tokenizer.json');
  const tokenizer = once<WordPieceTokenizer>(async () => {
    const { tokenizer: choice } = profile;
    if (choice.kind === 'bert-base-uncased') return loadWordPieceTokenizer();
    if (existsSync(tokenizerFile)) return loadWordPieceTokenizer({ path: tokenizerFile });
    // One vocabulary for every unit, from training texts only: the pre-training captions and each task's training split.
    const corpus = await loadPretrainCorpus(pretrainUnitConfig({ kind: 'pretrain', id: 'pretrain/full', objectives: 'full' }, unitOptions), dataDir);
    const texts = corpus.samples.map((sample) => sample.caption);
    for (const task of plan.tasks) texts.push(...(await fullData.get(task)!()).train.map(sampleText));
    progress.log(`[bench] training a WordPiece vocabulary (at most ${choice.vocabSize} pieces) on ${texts.length} training texts, shared by every unit`);
    return (await trainWordPieceTokenizer({ corpus: texts, outputPath: tokenizerFile, vocabSize: choice.vocabSize })).tokenizer;
  });
  const modelConfig = once<UmdModelConfig>(async () => resolveModelConfig(taskDataConfig(plan.tasks[0]!, unitOptions).model, (await tokenizer()).vocabSize));
  const contextFor = (config: PipelineConfig, dir: string, resume: boolean, data?: () => Promise<TaskData>): StageContext => {
    const base = createStageContext({ config, outDir: dir, ...(dataDir === undefined ? {} : { dataDir }), resume, ...(signal ? { signal } : {}), progress });
    return { ...base, tokenizer, modelConfig, ...(data ? { taskData: data } : {}) };
  };
  const unitDir = (id: string): string => path.join(outDir, 'units', ...id.split('/'));
  const absolute = (relative: string): string => path.resolve(outDir, relative);
  const fromBench = (dir: string, relative: string): string => path.relative(outDir, path.resolve(dir, relative));
  type Body = (dir: string, resume: boolean, results: (id: string) => unknown) => Promise<{ readonly aborted: boolean; readonly result?: unknown }>;

  /** The work of each kind of unit and the detail printed when it is done. */
  function bodyOf(unit: PaperUnit): { readonly body: Body; readonly describe: (result: never) => string } {
    switch (unit.kind) {
      case 'pretrain':
        return {
          body: async (dir, resume) => {
            const run = await runPretrainStage(contextFor(pretrainUnitConfig(unit, unitOptions), dir, resume));
            if (run.status === 'aborted' || run.result.checkpoint === undefined) return { aborted: true };
            const { checkpoint, steps, plannedSteps, stoppedBy } = run.result;
            return { aborted: false, result: { checkpoint: fromBench(dir, checkpoint), steps, plannedSteps, stoppedBy } satisfies PretrainUnitResult };
          },
          describe: (result: PretrainUnitResult) => `${result.steps} steps`,
        };
      case 'calibrate':
        return {
          body: async (dir, resume, results) => {
            const pretrain = results(unit.pretrain) as PretrainUnitResult;
            const objectives = unit.pretrain === 'pretrain/data-level' ? 'data-level' : 'full';
            const config = calibrateUnitConfig(unit, objectives, unitOptions);
            await seedUnitFolder(dir, config, [{ stage: 'pretrain', checkpoint: absolute(pretrain.checkpoint) }]);
            const run = await runCalibrateStage(contextFor(config, dir, resume, tuningData.get(unit.task)!));
            if (run.status === 'aborted') return { aborted: true };
            const { checkpoint, steps, lossBefore, lossAfter } = run.result;
            const result: CalibrateUnitResult = {
              checkpoint: fromBench(dir, checkpoint),
              steps,
              lossBefore: lossBefore['total'] ?? Number.NaN,
              lossAfter: lossAfter['total'] ?? Number.NaN,
            };
            return { aborted: false, result };
          },
          describe: (result: CalibrateUnitResult) => `MR loss ${result.lossBefore.toFixed(3)} → ${result.lossAfter.toFixed(3)}`,
        };
      case 'tune':
        return {
          body: async (dir, resume, results) => {
            const upstream: UpstreamStage[] = [];
            if (unit.pretrain) upstream.push({ stage: 'pretrain', checkpoint: absolute((results(unit.pretrain) as PretrainUnitResult).checkpoint) });
            if (unit.calibrate) upstream.push({ stage: 'calibrate', checkpoint: absolute((results(unit.calibrate) as CalibrateUnitResult).checkpoint) });
            const config = tuneUnitConfig(unit, unitOptions, split);
            await seedUnitFolder(dir, config, upstream);
            const data = await tuningData.get(unit.task)!();
            const run = await runFinetuneStage(contextFor(config, dir, resume, async () => data));
            if (run.status === 'aborted' || run.result.checkpoint === undefined) return { aborted: true };
            const { checkpoint, start, steps, best, medianStepMs } = run.result;
            const result: TuneUnitResult = {
              checkpoint: fromBench(dir, checkpoint),
              start,
              steps,
              ...(best ? { best } : {}),
              medianStepMs,
              trainSamples: data.train.length,
              validationSamples: data.validation.length,
            };
            return { aborted: false, result };
          },
          describe: (result: TuneUnitResult) =>
            `${result.steps} steps, ${result.medianStepMs.toFixed(0)} ms/step, validation ${result.best ? (100 * result.best.metric).toFixed(1) : '–'}%`,
        };
      case 'evaluate':
        return {
          body: async (dir, resume, results) => {
            const tuned = results(unit.tune.id) as TuneUnitResult;
            const config = tuneUnitConfig(unit.tune, unitOptions, unit.split);
            await seedUnitFolder(dir, config, [{ stage: 'finetune', checkpoint: absolute(tuned.checkpoint) }]);
            const run = await runEvaluateStage(contextFor(config, dir, resume, fullData.get(unit.tune.task)!));
            if (run.status === 'aborted') return { aborted: true };
            const scores = run.result.splits.find((entry) => entry.split === unit.split);
            if (!scores) throw new Error(`the evaluate stage scored no ${unit.split} split for ${unit.tune.task}: ${run.result.notes.join('; ')}`);
            const result: EvaluateUnitResult = { split: unit.split, samples: scores.samples, metrics: scores.metrics, floor: scores.floor };
            return { aborted: false, result };
          },
          describe: (result: EvaluateUnitResult) =>
            `${result.split} ${Object.entries(result.metrics)[0]?.[0] ?? ''} ${(100 * (Object.values(result.metrics)[0]?.value ?? Number.NaN)).toFixed(1)}%`,
        };
    }
  }

  return {
    ready: async () => {
      await tokenizer();
    },
    taskData: (task) => fullData.get(task)!(),
    run: async (unit, state, label = unit.id) => {
      const previous = state.units[unit.id];
      if (previous?.status === 'complete' && previous.result !== undefined) return { kind: 'skipped', result: previous.result, state };
      const needs = needsOf(unit).filter((id) => state.units[id]?.status !== 'complete' || state.units[id]?.result === undefined);
      if (needs.length > 0) return { kind: 'blocked', needs, state };
      if (signal?.aborted) return { kind: 'aborted', state };
      const resume = previous !== undefined;
      const seconds = previous?.seconds ?? 0;
      progress.log(`[bench] unit ${label}${resume ? ` (continuing the ${previous.status} unit)` : ''}`);
      const save = (record: UnitRecord): Promise<BenchState> => recordBenchUnit(outDir, unit.id, record);
      const now = (): string => new Date().toISOString();
      let current = await save({ status: 'running', seconds, updatedAt: now() });
      const provenance = {
        commit: gitCommit(),
        machine: machineDescription(currentRuntime()?.backend ?? 'unknown backend'),
        command: `umd-bench ${process.argv.slice(2).join(' ')}`,
      };
      const unitStarted = performance.now();
      const elapsed = (): number => seconds + Math.round((performance.now() - unitStarted) / 100) / 10;
      const { body, describe } = bodyOf(unit);
      try {
        const outcome = await body(unitDir(unit.id), resume, (id) => state.units[id]!.result);
        if (outcome.aborted || outcome.result === undefined) {
          current = await save({ status: 'aborted', seconds: elapsed(), updatedAt: now() });
          return { kind: 'aborted', state: current };
        }
        current = await save({ status: 'complete', seconds: elapsed(), updatedAt: now(), result: outcome.result, provenance });
        const detail = describe(outcome.result as never);
        progress.log(`[bench] ${unit.id} done in ${formatSeconds((performance.now() - unitStarted) / 1000)}${detail ? `: ${detail}` : ''}`);
        return { kind: 'done', result: outcome.result, state: current };
      } catch (error) {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        if (error instanceof Error && error.name === 'UMD_RunFolderLockedError') {
          // Another live process runs this unit (a worker whose job lock expired while it ran): leave its record be.
          current = previous ? await save(previous) : current;
          progress.log(`[bench] ${unit.id} is running elsewhere: ${message}`);
          return { kind: 'busy', error: message, state: current };
        }
        current = await save({ status: 'failed', seconds: elapsed(), updatedAt: now(), error: message });
        progress.log(`[bench] ${unit.id} FAILED: ${message}${UmdError.isInstance(error) || !(error instanceof Error) ? '' : `\n${error.stack ?? ''}`}`);
        return { kind: 'failed', error: message, state: current };
      }
    },
  };
}
