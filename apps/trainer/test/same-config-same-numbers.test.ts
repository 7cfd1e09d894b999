import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { microModelYaml } from './micro-model.js';

const appDir = fileURLToPath(new URL('..', import.meta.url));

/**
 * Every stage at test size, with every source of randomness the phantom config has: a trained WordPiece vocabulary,
 * seeded shuffles and masking, TD-Calib's regularizer during tuning, GM-Coord's OGM-GE noise, bootstrap intervals.
 */
const microConfig = `
name: micro
seed: 1
${microModelYaml}
data:
  imageCache: null
  memoryCacheMiB: 16
  phantom: { trainImages: 16, validateImages: 8, testImages: 8, size: 32 }
pretrain: { steps: 6, batchSize: 4, checkpointEvery: 3, pictureEvery: 0 }
calibrate: { steps: 3, batchSize: 4, regularizer: { enabled: true, decaySteps: 5 } }
finetune: { epochs: 2, batchSize: 8, gmCoord: { enabled: true, strategy: ogm-ge } }
evaluate: { bootstrapResamples: 50 }
`;

/** What a run records that must not depend on the process: everything but times and absolute paths. */
const recorded = [
  'tokenizer.json',
  'pretrain/metrics.jsonl',
  'calibrate/metrics.jsonl',
  'finetune/metrics.jsonl',
  'finetune/coordination.jsonl',
  'finetune/validation.jsonl',
  'evaluate/metrics.json',
  'evaluate/predictions-validate.jsonl',
  'evaluate/predictions-test.jsonl',
];

const timeKeys = new Set(['ms', 'seconds', 'startedAt', 'finishedAt']);

/** JSON without the fields that measure time (`ms`, `trainMs`, `seconds`, …). */
function withoutTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimes);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !timeKeys.has(key) && !key.endsWith('Ms'))
      .map(([key, item]) => [key, withoutTimes(item)]),
  );
}

async function records(file: string): Promise<unknown[]> {
  const text = await readFile(file, 'utf8');
  if (!file.endsWith('.jsonl')) return [withoutTimes(JSON.parse(text))];
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => withoutTimes(JSON.parse(line)));
}

/** The tensor bytes of a safetensors file (its header holds paths, which differ between output folders). */
async function tensorBytes(file: string): Promise<Buffer> {
  const bytes = await readFile(file);
  return bytes.subarray(8 + Number(bytes.readBigUInt64LE(0)));
}

interface Run {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** `umd-train run` from source in its own process, as `pnpm umd-train` runs it. */
function umdTrain(args: readonly string[], env: Record<string, string>, timeoutMs: number): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=@umd/source', '--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: appDir,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: timeoutMs,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => resolve({ status: null, signal: null, stderr: String(error) }));
    child.on('close', (status, signal) => resolve({ status, signal, stderr }));
  });
}

describe('same config, same numbers', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'trainer-determinism-'));
    await writeFile(path.join(dir, 'micro.yaml'), microConfig);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives identical metrics, predictions and weights in two processes, whatever their wasm thread counts', { timeout: 120_000 }, async (context) => {
    const config = path.join(dir, 'micro.yaml');
    // The two processes compute with different wasm thread counts: the numbers must not depend on them, nor on the
    // machine's load. The native BLAS's thread count stays the same: OpenBLAS 0.3.21 on an AMD EPYC (Zen 4) rounds one
    // of this run's products differently with 2 threads than with 1 (the 8th digit of a loss at step 4), so the same
    // numbers need the same UMD_BLAS_THREADS (README: Reproducibility).
    const [a, b] = await Promise.all([
      umdTrain(['run', '--config', config, '--out', path.join(dir, 'a'), '--progress', 'plain'], { UMD_BLAS_THREADS: '1', UMD_WASM_THREADS: '1' }, 100_000),
      umdTrain(['run', '--config', config, '--out', path.join(dir, 'b'), '--progress', 'plain'], { UMD_BLAS_THREADS: '1', UMD_WASM_THREADS: '2' }, 100_000),
    ]);
    for (const run of [a, b]) {
      if (run.signal !== null) context.skip(`umd-train did not finish within 100 s here (${run.signal}): the machine is too busy for this check`);
      if (run.status === null || /UMD_BackendUnavailableError/.test(run.stderr)) {
        context.skip(`umd-train could not start here: ${run.stderr.trim().split('\n').at(-1)}`);
      }
      expect(run.status, run.stderr).toBe(0);
    }

    for (const file of recorded) {
      const [left, right] = [await records(path.join(dir, 'a', file)), await records(path.join(dir, 'b', file))];
      const first = left.findIndex((line, i) => JSON.stringify(line) !== JSON.stringify(right[i]));
      expect(
        first === -1 && left.length === right.length,
        `${file} differs first at line ${first + 1}:\n${JSON.stringify(left[first])}\n${JSON.stringify(right[first])}`,
      ).toBe(true);
    }
    for (const file of ['pretrain/checkpoints/step-000006.safetensors', 'calibrate/calibrated.safetensors', 'finetune/best.safetensors']) {
      expect(existsSync(path.join(dir, 'a', file)), file).toBe(true);
      expect((await tensorBytes(path.join(dir, 'a', file))).equals(await tensorBytes(path.join(dir, 'b', file))), `${file}: the weights differ`).toBe(true);
    }
  });
});
