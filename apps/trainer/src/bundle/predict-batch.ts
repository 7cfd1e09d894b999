import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { parse as parseCsv } from 'csv-parse/sync';
import { UmdError } from '@umd/core';
import type { ReadDicomOptions } from '@umd/data';
import { loadModelBundle, ModelBundleError, predictWithBundle } from '@umd/tasks';

import type { ProgressReporter } from '../progress/progress-reporter.js';

/** One row of a batch file: an image (relative to the batch file's folder, or absolute) and its question or text. */
interface BatchRow {
  readonly line: number;
  readonly image: string;
  readonly text: string;
}

/** What {@link predictBatch} did. */
export interface BatchSummary {
  readonly rows: number;
  readonly answered: number;
  /** Rows that could not be answered, each in the output with its error (never dropped silently). */
  readonly failed: number;
  readonly out: string;
  readonly msPerRow: number;
}

/**
 * `umd-train predict --batch FILE`: answers every row of a CSV (header `image,question` or `image,text`) or JSON
 * lines file (`{"image": …, "question": …}`), writing one JSON line per row to `out` — `answers` with probabilities,
 * or `error` naming what was wrong with that row (a missing image, a question too long): a bad row is reported and
 * counted, never dropped, and the rest go on.
 *
 * @throws ModelBundleError for an unreadable batch file, a row without an image, or the bundle
 */
export async function predictBatch(options: {
  readonly model: string;
  readonly batch: string;
  readonly out: string;
  readonly topK: number;
  readonly dicom?: ReadDicomOptions;
  readonly progress: ProgressReporter;
}): Promise<BatchSummary> {
  const rows = await readBatch(path.resolve(options.batch));
  const bundle = await loadModelBundle(options.model, options.dicom ? { dicom: options.dicom } : {});
  const output = createWriteStream(options.out);
  const started = performance.now();
  let answered = 0;
  let failed = 0;
  try {
    options.progress.begin('predict', rows.length, 0);
    for (const [index, row] of rows.entries()) {
      let record: Record<string, unknown>;
      try {
        const [prediction] = await predictWithBundle(bundle, [{ image: { kind: 'file', path: row.image }, text: row.text }], { topK: options.topK });
        record = {
          line: row.line,
          image: row.image,
          text: row.text,
          answers: prediction!.ranked.map((entry) => ({ answer: entry.name, probability: entry.probability })),
        };
        answered++;
      } catch (error) {
        if (!UmdError.isInstance(error)) throw error;
        record = { line: row.line, image: row.image, text: row.text, error: `${error.name}: ${error.message}` };
        failed++;
        options.progress.log(`[predict] line ${row.line}: ${error.message}`);
      }
      output.write(`${JSON.stringify(record)}\n`);
      options.progress.update(index + 1, { failed: String(failed) });
    }
    options.progress.end();
  } finally {
    bundle.dispose();
    await new Promise<void>((resolve, reject) => output.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
  return { rows: rows.length, answered, failed, out: path.resolve(options.out), msPerRow: (performance.now() - started) / Math.max(1, rows.length) };
}

async function readBatch(file: string): Promise<BatchRow[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ModelBundleError(file, 'input', `cannot read the batch file (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
  const folder = path.dirname(file);
  let records: { line: number; fields: Record<string, unknown> }[];
  if (/\.jsonl?$/i.test(file)) {
    records = [];
    for (const [index, line] of text.split('\n').entries()) {
      if (line.trim() === '') continue;
      try {
        records.push({ line: index + 1, fields: JSON.parse(line) as Record<string, unknown> });
      } catch {
        throw new ModelBundleError(file, 'input', `line ${index + 1} is not a JSON object`);
      }
    }
  } else {
    try {
      const rows = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, info: true }) as {
        record: Record<string, unknown>;
        info: { lines: number };
      }[];
      records = rows.map(({ record, info }) => ({ line: info.lines, fields: record }));
    } catch (error) {
      throw new ModelBundleError(file, 'input', `not a CSV file with a header row: ${(error as Error).message}`, { cause: error });
    }
  }
  if (records.length === 0) throw new ModelBundleError(file, 'input', 'the batch file has no rows');
  const missing = records.find(({ fields }) => typeof fields['image'] !== 'string' || fields['image'] === '');
  if (missing) throw new ModelBundleError(file, 'input', `line ${missing.line} has no "image" (a path, relative to the batch file's folder, or absolute)`);
  return records.map(({ line, fields }) => ({
    line,
    image: path.resolve(folder, fields['image'] as string),
    text: String(fields['question'] ?? fields['text'] ?? ''),
  }));
}
