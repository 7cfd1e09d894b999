import { InvalidConfigError } from '@umd/core';

import type { RecordProblem } from '../errors/invalid-record-error.js';
import type { Sample } from '../sample.js';

/**
 * What an adapter does with an unusable record (missing field, missing image, unsafe image path, malformed line):
 * `throw` raises an `InvalidRecordError` (or `DatasetParseError`) naming the file and record; `skip` leaves the record
 * out and lists it in {@link DatasetLoad.skipped}. Problems with the dataset as a whole (folder or file missing,
 * malformed JSON file, empty split) always throw.
 */
export type OnError = 'throw' | 'skip';

/** Options every adapter takes. */
export interface DatasetLoadOptions {
  /** The dataset folder, laid out as the official download. */
  readonly root: string;
  /** Default `'throw'`: a bad record stops the load. `'skip'` skips and reports it. */
  readonly onError?: OnError;
}

/** A record left out of the result with `onError: 'skip'`. */
export interface SkippedRecord {
  readonly split: string;
  /** The file holding the record, relative to {@link DatasetLoad.root} (`/`-separated). */
  readonly file: string;
  /** 0-based index of the record in its file. */
  readonly recordIndex: number;
  /** 1-based line, for line-oriented files. */
  readonly line?: number;
  /** The record's own id, when it has one. */
  readonly recordId?: string;
  readonly reason: RecordProblem;
  /** The field at fault, when one is. */
  readonly field?: string;
  /** The same text the error would have carried in `throw` mode. */
  readonly message: string;
}

/** Records left out on purpose by an option (not errors), counted so that nothing disappears unexplained. */
export interface FilteredRecords {
  readonly split: string;
  readonly count: number;
  /** e.g. `q_lang is not 'en'`. */
  readonly reason: string;
}

/** The result of an adapter: samples per split, plus every record that was skipped or filtered out. */
export interface DatasetLoad<S extends Sample = Sample> {
  /** `vqa-rad`, `slake`, `vqa-med-2019`, `medpix`, `roco`, `melinda`, `jsonl`. */
  readonly name: string;
  readonly task: S['task'];
  /** Absolute path of the dataset root. */
  readonly root: string;
  /** Split name (as the dataset names it) -> samples, in file order. */
  readonly splits: Readonly<Record<string, readonly S[]>>;
  /** Every record skipped with `onError: 'skip'` (always empty with `'throw'`). */
  readonly skipped: readonly SkippedRecord[];
  /** Records left out by a selection option, e.g. SLAKE questions in another language. */
  readonly filtered: readonly FilteredRecords[];
}

/**
 * Checks an option against its allowed values; throws `InvalidConfigError` naming the option otherwise. `undefined`
 * takes `fallback`, or is an error when the option is required (`fallback` undefined).
 */
export function checkChoice<T extends string>(key: string, value: unknown, allowed: readonly T[], fallback: T | undefined): T {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new InvalidConfigError(key, value, allowed.map((entry) => `'${entry}'`).join(', '));
}

/** The allowed values of {@link OnError}. */
export const onErrorChoices: readonly OnError[] = ['throw', 'skip'];
