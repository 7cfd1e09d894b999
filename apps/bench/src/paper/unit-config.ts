import { parsePipelineConfig, type PipelineConfig, type PipelineConfigInput } from '@umd/trainer';

import { rowSpecs, taskKindOf, type CalibrateUnit, type PaperTask, type PretrainUnit, type TuneUnit } from './paper-grid.js';
import type { PaperProfile } from './paper-profile.js';
import type { ReportSplit } from './split-availability.js';
import { taskDataRoots } from './split-availability.js';

/** Where the benchmark's data comes from: the real datasets under a folder, or the built-in phantom data. */
export type BenchDataSource = { readonly kind: 'real'; readonly dir: string } | { readonly kind: 'phantom' };

/** The trainer's `model` section of a profile (its tokenizer keys say which kind the shared tokenizer is). */
function modelSection(profile: PaperProfile): NonNullable<PipelineConfigInput['model']> {
  const { tokenizer } = profile;
  return {
    ...profile.model,
    ...(tokenizer.kind === 'trained' ? { tokenizer: 'trained', tokenizerVocabSize: tokenizer.vocabSize } : { tokenizer: 'bert-base-uncased' }),
  };
}

/** What every unit's trainer config shares. */
export interface UnitConfigOptions {
  readonly profile: PaperProfile;
  readonly data: BenchDataSource;
  /** On-disk image cache (absolute), or null for none. */
  readonly imageCache: string | null;
  /** The seed of the shared units (pre-trainings, calibrations, validation carve-out). */
  readonly baseSeed: number;
}

/** Phantom stand-ins: each task gets its own generated data set (distinct seeds), with the task's kind. */
const phantomSeeds: Readonly<Record<PaperTask, number>> = { 'vqa-rad': 0, slake: 1, 'medpix-retrieval': 2, 'medpix-classification': 3 };

/** The trainer's `data` section of a task. */
export function taskDataSection(task: PaperTask, options: UnitConfigOptions): NonNullable<PipelineConfigInput['data']> {
  const { data, imageCache, profile } = options;
  if (data.kind === 'phantom') {
    const kind = taskKindOf[task];
    return { dataset: 'phantom', imageCache, phantom: { task: kind, seed: phantomSeeds[task], ...profile.phantom } };
  }
  const { validationFraction, validationCarve } = profile.data;
  return { dataset: task, root: taskDataRoots[task], imageCache, validationFraction, validationCarve, answerVocabulary: 'train' };
}

/** The pre-training section every unit starting from `objectives` shares (so resumed stages see the same inputs). */
function pretrainSection(objectives: 'data-level' | 'full', profile: PaperProfile): NonNullable<PipelineConfigInput['pretrain']> {
  const { steps, minutes, batchSize, learningRate, checkpointEvery, pictureEvery } = profile.pretrain;
  return {
    objectives,
    corpus: 'auto', // MedPix 2.0 train captions on real data (never dev/test), phantom captions on phantom data
    corpusRoot: 'medpix-2.0',
    ...(steps === undefined ? {} : { steps }),
    ...(minutes === undefined ? {} : { minutes }),
    batchSize,
    learningRate,
    checkpointEvery,
    pictureEvery,
  };
}

function calibrateSection(profile: PaperProfile): NonNullable<PipelineConfigInput['calibrate']> {
  const { steps, batchSize, regularizer, regularizerDecaySteps } = profile.calibrate;
  return { steps, batchSize, regularizer: { enabled: regularizer, start: 0.1, decaySteps: regularizerDecaySteps } };
}

/**
 * The trainer config of a shared pre-training. Its data section names the pre-training corpus (MedPix 2.0 retrieval
 * on real data): the pretrain stage reads only the corpus, the model and the tokenizer.
 *
 * @throws ConfigError when the profile's model section is invalid
 */
export function pretrainUnitConfig(unit: PretrainUnit, options: UnitConfigOptions): PipelineConfig {
  return parsePipelineConfig(
    {
      name: `bench-${unit.id.replace(/\//g, '-')}`,
      seed: options.baseSeed,
      model: modelSection(options.profile),
      data: taskDataSection('medpix-retrieval', options),
      stages: ['pretrain'],
      pretrain: pretrainSection(unit.objectives, options.profile),
    } satisfies PipelineConfigInput,
    `umd-bench profile '${options.profile.name}' (${unit.id})`,
  );
}

/**
 * The trainer config of a calibration: the pre-training's section (its record is seeded into the unit's folder) and
 * the calibration on the task's training data, with the shared seed.
 */
export function calibrateUnitConfig(unit: CalibrateUnit, objectives: 'data-level' | 'full', options: UnitConfigOptions): PipelineConfig {
  return parsePipelineConfig(
    {
      name: `bench-${unit.id.replace(/\//g, '-')}`,
      seed: options.baseSeed,
      model: modelSection(options.profile),
      data: taskDataSection(unit.task, options),
      stages: ['pretrain', 'calibrate'],
      pretrain: pretrainSection(objectives, options.profile),
      calibrate: calibrateSection(options.profile),
    } satisfies PipelineConfigInput,
    `umd-bench profile '${options.profile.name}' (${unit.id})`,
  );
}

/**
 * The trainer config of a tuning cell and of its evaluation on `split`: the stages say where tuning starts
 * (`[finetune, evaluate]` scratch, `+ pretrain`, `+ calibrate`), GM-Coord and the blanked images come from the row.
 */
export function tuneUnitConfig(unit: TuneUnit, options: UnitConfigOptions, split: ReportSplit = 'validate'): PipelineConfig {
  const spec = rowSpecs[unit.row];
  const { profile } = options;
  const stages: PipelineConfigInput['stages'] = [
    ...(spec.pretrain ? (['pretrain'] as const) : []),
    ...(spec.calibrate ? (['calibrate'] as const) : []),
    'finetune',
    'evaluate',
  ];
  return parsePipelineConfig(
    {
      name: `bench-${unit.id.replace(/\//g, '-')}`,
      seed: unit.seed,
      model: modelSection(profile),
      data: taskDataSection(unit.task, options),
      stages,
      ...(spec.pretrain ? { pretrain: pretrainSection(spec.pretrain, profile) } : {}),
      ...(spec.calibrate ? { calibrate: calibrateSection(profile) } : {}),
      finetune: {
        epochs: profile.finetune.epochsByTask?.[unit.task] ?? profile.finetune.epochs,
        batchSize: profile.finetune.batchSize,
        learningRate: profile.finetune.learningRate,
        ...(profile.finetune.learningRateMultipliers ? { learningRateMultipliers: profile.finetune.learningRateMultipliers } : {}),
        ...(profile.finetune.pooling ? { pooling: profile.finetune.pooling } : {}),
        gmCoord: { enabled: spec.gmCoord, strategy: 'ogm-ge', alpha: profile.finetune.gmCoordAlpha },
        blindImage: spec.blindImage,
      },
      evaluate: { splits: [split], bootstrapResamples: profile.evaluate.bootstrapResamples },
    } satisfies PipelineConfigInput,
    `umd-bench profile '${profile.name}' (${unit.id})`,
  );
}

/** The config whose data section loads a task's dataset (splits carved with the shared seed, for every row and seed). */
export function taskDataConfig(task: PaperTask, options: UnitConfigOptions): PipelineConfig {
  return parsePipelineConfig(
    {
      name: `bench-data-${task}`,
      seed: options.baseSeed,
      model: modelSection(options.profile),
      data: taskDataSection(task, options),
      stages: ['finetune'],
    } satisfies PipelineConfigInput,
    `umd-bench profile '${options.profile.name}' (${task} data)`,
  );
}
