import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';

import { UmdError, writeFileAtomic } from '@umd/core';
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
  silentReporter,
  type PipelineConfig,
  type ProgressReporter,
  type StageContext,
  type TaskData,
} from '@umd/trainer';

import {
  assertSameGrid,
  benchStateFile,
  readBenchState,
  withUnit,
  writeBenchState,
  type BenchGridIdentity,
  type BenchState,
  type CalibrateUnitResult,
  type EvaluateUnitResult,
  type PretrainUnitResult,
  type TuneUnitResult,
  type UnitRecord,
} from './bench-state.js';
import { evaluateUnitId, expandPaperGrid, taskKindOf, type PaperTask, type PaperVariant, type TuneUnit } from './paper-grid.js';
import { validatePaperProfile, type PaperProfile } from './paper-profile.js';
import { buildPaperResults, type PaperResults } from './paper-results.js';
import { formatSeconds, renderPaperResults } from './render-paper-results.js';
import { seedUnitFolder, type UpstreamStage } from './seed-unit-folder.js';
import { splitAvailability, taskDataRoots, type ReportSplit, type SplitAvailability } from './split-availability.js';
import { subsample } from './subsample.js';
import { textFloors, type TextFloor } from './text-floors.js';
import { calibrateUnitConfig, pretrainUnitConfig, taskDataConfig, tuneUnitConfig, type BenchDataSource, type UnitConfigOptions } from './unit-config.js';

/** Options of {@link runPaperBenchmark}. */
export interface RunPaperBenchmarkOptions {
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
  /**
   * Default true: when `<out>/bench-state.json` exists, skip its complete units and continue its partial ones (its
   * grid and profile must match). False: start over (the units folder is deleted).
   */
  readonly resume?: boolean;
  /** On-disk image cache. Default `.cache/umd-images` under the current folder; null for none. */
  readonly imageCache?: string | null;
  /** Aborting stops the running unit after its current step, with a checkpoint; the state says where to resume. */
  readonly signal?: AbortSignal;
  readonly progress?: ProgressReporter;
}

/** What {@link runPaperBenchmark} did. */
export interface PaperBenchmarkRun {
  /** `aborted`: the signal stopped it (resume later); `failed`: some units failed (the others ran). */
  readonly status: 'complete' | 'aborted' | 'failed';
  readonly results: PaperResults;
  /** `results.md`, as written. */
  readonly markdown: string;
  readonly resultsPath: string;
  readonly resultsJsonPath: string;
  readonly stateFile: string;
  /** Whether an earlier state was continued. */
  readonly resumed: boolean;
  /** Units worked on in this session. */
  readonly ran: readonly string[];
  /** Units complete in an earlier session, skipped. */
  readonly skipped: readonly string[];
  readonly failed: readonly string[];
  readonly seconds: number;
}

type UnitOutcome<R> = { readonly kind: 'done'; readonly result: R } | { readonly kind: 'aborted' } | { readonly kind: 'failed' };

/**
 * The paper benchmark (DESIGN.md "Benchmark protocol"): the ablation grid (scratch → MR data level → MR full →
 * + TD-Calib → + GM-Coord, and the text-only floor model) on every task, each seed. Runs, through the trainer's
 * stage runners, one pre-training per MR variant (shared by every task and seed), one calibration per
 * (pre-training, task), then per (task, row, seed) a tuning run (model selection on validation only) and the
 * evaluation of its selected checkpoint on `split` (a split whose file the dataset lacks is reported, not run).
 * After every unit `<out>/bench-state.json` is written atomically; a later call continues where this one stopped.
 * Writes `<out>/results.md` and `<out>/results.json` at the end (also after an abort: what is done so far).
 *
 * @throws InvalidConfigError for an invalid profile or grid; BenchGridMismatchError when resuming into a state of
 *   another grid or profile; BenchStateError for an unreadable state file; DatasetNotFoundError for a missing dataset
 */
export async function runPaperBenchmark(options: RunPaperBenchmarkOptions): Promise<PaperBenchmarkRun> {
  const started = performance.now();
  const profile = validatePaperProfile(options.profile);
  const plan = expandPaperGrid({
    ...(options.tasks ? { tasks: options.tasks } : {}),
    ...(options.variants ? { variants: options.variants } : {}),
    seeds: options.seeds ?? profile.seeds,
    ...(options.floors === undefined ? {} : { floors: options.floors }),
  });
  const split = options.split ?? 'validate';
  const outDir = path.resolve(options.outDir);
  const dataDir = options.data.kind === 'real' ? path.resolve(options.data.dir) : undefined;
  const progress = options.progress ?? silentReporter;
  const signal = options.signal;
  const unitOptions: UnitConfigOptions = {
    profile,
    data: dataDir === undefined ? { kind: 'phantom' } : { kind: 'real', dir: dataDir },
    imageCache: options.imageCache === null ? null : path.resolve(options.imageCache ?? '.cache/umd-images'),
    baseSeed: plan.seeds[0] ?? 0,
  };
  if (dataDir !== undefined) {
    for (const task of plan.tasks) resolveDatasetRoot(task, taskDataRoots[task], dataDir); // a missing dataset stops us before any work
    if (plan.pretrainings.length > 0) resolveDatasetRoot('medpix', 'medpix-2.0', dataDir);
  }

  // The state: continue a matching one, or start over.
  const grid: BenchGridIdentity = JSON.parse(JSON.stringify({ profile, tasks: plan.tasks, rows: plan.rows, seeds: plan.seeds, data: dataDir ?? 'phantom' }));
  const stateFile = path.join(outDir, benchStateFile);
  const stored = await readBenchState(outDir);
  const resumed = stored !== undefined && options.resume !== false;
  let state: BenchState;
  if (stored && resumed) {
    assertSameGrid(stored, grid, stateFile);
    state = stored;
  } else {
    await rm(path.join(outDir, 'units'), { recursive: true, force: true });
    state = { formatVersion: 1, grid, startedAt: new Date().toISOString(), units: {} };
  }
  await writeBenchState(outDir, state);
  const availability = Object.fromEntries(plan.tasks.map((task) => [task, splitAvailability(task, split, dataDir)])) as Record<PaperTask, SplitAvailability>;
  const evaluations = plan.tunings.filter((unit) => availability[unit.task].available);
  const total = plan.pretrainings.length + plan.calibrations.length + plan.tunings.length + evaluations.length;
  const doneBefore = Object.values(state.units).filter((unit) => unit.status === 'complete').length;
  progress.log(
    `[bench] ${profile.name} profile, ${split} split: ${plan.pretrainings.length} pre-trainings, ${plan.calibrations.length} calibrations, ` +
      `${plan.tunings.length} tuning cells (${plan.tasks.length} tasks × ${plan.rows.length} rows × ${plan.seeds.length} seeds, ${plan.skipped.length} n/a), ` +
      `${evaluations.length} evaluations; out ${outDir}${resumed ? `; resuming (${doneBefore} units complete)` : ''}`,
  );
  for (const task of plan.tasks) if (!availability[task].available) progress.log(`[bench] ${task}: ${(availability[task] as { reason: string }).reason}`);

  // Shared inputs, loaded once.
  const once = <T>(load: () => Promise<T>): (() => Promise<T>) => {
    let promise: Promise<T> | undefined;
    return () => (promise ??= load());
  };
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
  await tokenizer(); // a failure here (a missing corpus) stops the benchmark before any unit
  const contextFor = (config: PipelineConfig, dir: string, resume: boolean, data?: () => Promise<TaskData>): StageContext => {
    const base = createStageContext({ config, outDir: dir, ...(dataDir === undefined ? {} : { dataDir }), resume, ...(signal ? { signal } : {}), progress });
    return { ...base, tokenizer, modelConfig, ...(data ? { taskData: data } : {}) };
  };

  // One unit: skipped when complete, else run (continuing its partial output), recorded after.
  const ran: string[] = [];
  const skipped: string[] = [];
  const failed: string[] = [];
  let position = 0;
  const save = async (id: string, record: UnitRecord): Promise<void> => {
    state = withUnit(state, id, record);
    await writeBenchState(outDir, state);
  };
  const unitDir = (id: string): string => path.join(outDir, 'units', ...id.split('/'));
  async function runUnit<R>(
    id: string,
    body: (dir: string, resume: boolean) => Promise<{ readonly aborted: boolean; readonly result?: R }>,
    describe: (result: R) => string = () => '',
  ): Promise<UnitOutcome<R>> {
    position += 1;
    const previous = state.units[id] as UnitRecord<R> | undefined;
    if (previous?.status === 'complete' && previous.result !== undefined) {
      skipped.push(id);
      return { kind: 'done', result: previous.result };
    }
    if (signal?.aborted) return { kind: 'aborted' };
    const resume = previous !== undefined;
    const seconds = previous?.seconds ?? 0;
    progress.log(`[bench] unit ${position}/${total}: ${id}${resume ? ` (continuing the ${previous.status} unit)` : ''}`);
    await save(id, { status: 'running', seconds, updatedAt: new Date().toISOString() });
    const unitStarted = performance.now();
    const elapsed = (): number => seconds + Math.round((performance.now() - unitStarted) / 100) / 10;
    ran.push(id);
    try {
      const outcome = await body(unitDir(id), resume);
      if (outcome.aborted || outcome.result === undefined) {
        await save(id, { status: 'aborted', seconds: elapsed(), updatedAt: new Date().toISOString() });
        return { kind: 'aborted' };
      }
      await save(id, { status: 'complete', seconds: elapsed(), updatedAt: new Date().toISOString(), result: outcome.result });
      const detail = describe(outcome.result);
      progress.log(`[bench] ${id} done in ${formatSeconds((performance.now() - unitStarted) / 1000)}${detail ? `: ${detail}` : ''}`);
      return { kind: 'done', result: outcome.result };
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      await save(id, { status: 'failed', seconds: elapsed(), updatedAt: new Date().toISOString(), error: message });
      failed.push(id);
      progress.log(`[bench] ${id} FAILED: ${message}${UmdError.isInstance(error) || !(error instanceof Error) ? '' : `\n${error.stack ?? ''}`}`);
      return { kind: 'failed' };
    }
  }
  const absolute = (relative: string): string => path.resolve(outDir, relative);
  const fromBench = (dir: string, relative: string): string => path.relative(outDir, path.resolve(dir, relative));

  let aborted = false;
  const pretrained = new Map<string, PretrainUnitResult>();
  for (const unit of plan.pretrainings) {
    const outcome = await runUnit<PretrainUnitResult>(
      unit.id,
      async (dir, resume) => {
        const run = await runPretrainStage(contextFor(pretrainUnitConfig(unit, unitOptions), dir, resume));
        if (run.status === 'aborted' || run.result.checkpoint === undefined) return { aborted: true };
        const { checkpoint, steps, plannedSteps, stoppedBy } = run.result;
        return { aborted: false, result: { checkpoint: fromBench(dir, checkpoint), steps, plannedSteps, stoppedBy } };
      },
      (result) => `${result.steps} steps`,
    );
    if (outcome.kind === 'aborted') aborted = true;
    if (outcome.kind !== 'done') break;
    pretrained.set(unit.id, outcome.result);
  }

  for (const task of aborted ? [] : plan.tasks) {
    const calibrated = new Map<string, CalibrateUnitResult>();
    for (const unit of plan.calibrations.filter((calibration) => calibration.task === task)) {
      const pretrain = pretrained.get(unit.pretrain);
      if (!pretrain) continue; // its pre-training failed: reported in the shared units table
      const objectives = unit.pretrain === 'pretrain/data-level' ? 'data-level' : 'full';
      const outcome = await runUnit<CalibrateUnitResult>(
        unit.id,
        async (dir, resume) => {
          const config = calibrateUnitConfig(unit, objectives, unitOptions);
          await seedUnitFolder(dir, config, [{ stage: 'pretrain', checkpoint: absolute(pretrain.checkpoint) }]);
          const run = await runCalibrateStage(contextFor(config, dir, resume, tuningData.get(task)!));
          if (run.status === 'aborted') return { aborted: true };
          const { checkpoint, steps, lossBefore, lossAfter } = run.result;
          return {
            aborted: false,
            result: {
              checkpoint: fromBench(dir, checkpoint),
              steps,
              lossBefore: lossBefore['total'] ?? Number.NaN,
              lossAfter: lossAfter['total'] ?? Number.NaN,
            },
          };
        },
        (result) => `MR loss ${result.lossBefore.toFixed(3)} → ${result.lossAfter.toFixed(3)}`,
      );
      if (outcome.kind === 'aborted') aborted = true;
      if (outcome.kind === 'aborted') break;
      if (outcome.kind === 'done') calibrated.set(unit.id, outcome.result);
    }
    for (const unit of aborted ? [] : plan.tunings.filter((tuning) => tuning.task === task)) {
      const upstream = upstreamOf(unit, pretrained, calibrated, absolute);
      if (!upstream) continue; // an upstream unit failed
      const tuned = await runUnit<TuneUnitResult>(
        unit.id,
        async (dir, resume) => {
          const config = tuneUnitConfig(unit, unitOptions, split);
          await seedUnitFolder(dir, config, upstream);
          const data = await tuningData.get(task)!();
          const run = await runFinetuneStage(contextFor(config, dir, resume, async () => data));
          if (run.status === 'aborted' || run.result.checkpoint === undefined) return { aborted: true };
          const { checkpoint, start, steps, best, medianStepMs } = run.result;
          return {
            aborted: false,
            result: {
              checkpoint: fromBench(dir, checkpoint),
              start,
              steps,
              ...(best ? { best } : {}),
              medianStepMs,
              trainSamples: data.train.length,
              validationSamples: data.validation.length,
            },
          };
        },
        (result) =>
          `${result.steps} steps, ${result.medianStepMs.toFixed(0)} ms/step, validation ${result.best ? (100 * result.best.metric).toFixed(1) : '–'}%`,
      );
      if (tuned.kind === 'aborted') aborted = true;
      if (tuned.kind === 'aborted') break;
      if (tuned.kind === 'failed' || !availability[task].available) continue;
      const evaluated = await runUnit<EvaluateUnitResult>(
        evaluateUnitId(unit, split),
        async (dir, resume) => {
          const config = tuneUnitConfig(unit, unitOptions, split);
          await seedUnitFolder(dir, config, [{ stage: 'finetune', checkpoint: absolute(tuned.result.checkpoint) }]);
          const run = await runEvaluateStage(contextFor(config, dir, resume, fullData.get(task)!));
          if (run.status === 'aborted') return { aborted: true };
          const scores = run.result.splits.find((entry) => entry.split === split);
          if (!scores) throw new Error(`the evaluate stage scored no ${split} split for ${task}: ${run.result.notes.join('; ')}`);
          return { aborted: false, result: { split, samples: scores.samples, metrics: scores.metrics, floor: scores.floor } };
        },
        (result) => `${split} ${Object.entries(result.metrics)[0]?.[0] ?? ''} ${(100 * (Object.values(result.metrics)[0]?.value ?? Number.NaN)).toFixed(1)}%`,
      );
      if (evaluated.kind === 'aborted') aborted = true;
      if (evaluated.kind === 'aborted') break;
    }
  }

  // The floors computed here (no model, or no image), on the reported split.
  const floors: Partial<Record<PaperTask, TextFloor[]>> = {};
  for (const task of plan.tasks) {
    if (!availability[task].available) continue;
    try {
      const data = await fullData.get(task)!();
      const samples = split === 'validate' ? data.validation : (data.test ?? []);
      // VQA-RAD's validation is carved from MEVF train: its test floors learn from both, its validation floors from train only.
      const train = task === 'vqa-rad' && split === 'test' ? [...data.train, ...data.validation] : data.train;
      floors[task] = textFloors(taskKindOf[task], train, samples);
    } catch (error) {
      progress.log(`[bench] ${task}: floors not computed (${error instanceof Error ? `${error.name}: ${error.message}` : String(error)})`);
    }
  }

  const results = buildPaperResults({ plan, state, profile, split, data: dataDir ?? 'phantom', availability, floors });
  const markdown = renderPaperResults(results);
  const resultsPath = path.join(outDir, 'results.md');
  const resultsJsonPath = path.join(outDir, 'results.json');
  await writeFileAtomic(resultsPath, markdown);
  await writeFileAtomic(resultsJsonPath, `${JSON.stringify(results, null, 2)}\n`);
  return {
    status: aborted ? 'aborted' : failed.length > 0 ? 'failed' : 'complete',
    results,
    markdown,
    resultsPath,
    resultsJsonPath,
    stateFile,
    resumed,
    ran,
    skipped,
    failed,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The checkpoints a tuning cell starts from, as upstream records; undefined when one of them is missing (failed). */
function upstreamOf(
  unit: TuneUnit,
  pretrained: ReadonlyMap<string, PretrainUnitResult>,
  calibrated: ReadonlyMap<string, CalibrateUnitResult>,
  absolute: (relative: string) => string,
): UpstreamStage[] | undefined {
  const upstream: UpstreamStage[] = [];
  if (unit.pretrain) {
    const pretrain = pretrained.get(unit.pretrain);
    if (!pretrain) return undefined;
    upstream.push({ stage: 'pretrain', checkpoint: absolute(pretrain.checkpoint) });
  }
  if (unit.calibrate) {
    const calibration = calibrated.get(unit.calibrate);
    if (!calibration) return undefined;
    upstream.push({ stage: 'calibrate', checkpoint: absolute(calibration.checkpoint) });
  }
  return upstream;
}
