import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { benchStateFile, type BenchState } from './paper/bench-state.js';
import { paperProfiles } from './paper/paper-profiles.js';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const tsx = path.join(appDir, 'node_modules', '.bin', 'tsx');

/** Runs `umd-bench` from source, as `pnpm umd-bench` does (each spawn costs a few seconds: six in this file). */
function umdBench(args: readonly string[], env: Record<string, string | undefined> = {}) {
  const result = spawnSync(tsx, ['--conditions=@umd/source', 'src/cli.ts', ...args], {
    cwd: appDir,
    encoding: 'utf8',
    env: { ...process.env, UMD_BACKEND: 'cpu', ...env },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('umd-bench (spawned)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'bench-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('documents the paper command without the test-only profile and data', () => {
    const { status, stdout } = umdBench(['paper', '--help']);
    expect(status).toBe(0);
    for (const option of ['--data <dir>', '--profile <name>', '--seeds <n>', '--out <dir>', '--split <split>', '--no-resume']) expect(stdout).toContain(option);
    expect(stdout).toContain('quick (about 15 min on 2 cores');
    expect(stdout).not.toContain('micro');
    expect(stdout).not.toContain('--phantom');
  });

  it('exits 1 with a typed error when no data folder is given', () => {
    const { status, stderr } = umdBench(['paper', '--profile', 'quick'], { UMD_DATA_DIR: undefined });
    expect(status).toBe(1);
    expect(stderr).toContain("UMD_InvalidConfigError: Invalid value for '--data'");
    expect(stderr).toContain('UMD_DATA_DIR');
  });

  it('renders the ledger page with one runs page per dataset, and checks them', async () => {
    const ledger = path.join(dir, 'results', 'ledger.jsonl');
    const run = (dataset: string, seed: number) => ({
      experiment: `${dataset}: configs/${dataset}.yaml`,
      dataset,
      split: 'validate',
      seed,
      metrics: { overall: 60 + seed },
      command: `umd-train run --config configs/${dataset}.yaml --seed ${seed}`,
      config: `configs/${dataset}.yaml`,
      commit: '0123456789abcdef',
      date: '2026-12-07T00:00:00.000Z',
      wallMinutes: 10,
      machine: 'test CPU (2 cores), wasm',
    });
    await mkdir(path.dirname(ledger), { recursive: true });
    await writeFile(ledger, [run('vqa-rad', 1), run('vqa-rad', 2), run('slake', 1)].map((record) => `${JSON.stringify(record)}\n`).join(''));
    const args = ['ledger', '--in', ledger, '--out', path.join(dir, 'results.md'), '--runs-dir', path.join(dir, 'results')];
    expect(umdBench(args).status).toBe(0);
    const page = await readFile(path.join(dir, 'results.md'), 'utf8');
    expect(page).toContain('[results/vqa-rad.md](results/vqa-rad.md)');
    expect(page).not.toContain('umd-train run');
    const runs = await readFile(path.join(dir, 'results', 'vqa-rad.md'), 'utf8');
    expect(runs).toContain('umd-train run --config configs/vqa-rad.yaml --seed 2');
    expect(runs).not.toContain('configs/slake.yaml');
    expect(umdBench([...args, '--check']).status).toBe(0);
    await writeFile(path.join(dir, 'results', 'slake.md'), 'edited by hand\n');
    const stale = umdBench([...args, '--check']);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain('slake.md is not what');
  });

  it('refuses to resume a benchmark of another grid in the same folder', async () => {
    const out = path.join(dir, 'other-grid');
    const state: BenchState = {
      formatVersion: 1,
      grid: { profile: paperProfiles.micro, tasks: ['slake'], rows: ['scratch'], seeds: [0], data: 'phantom' },
      startedAt: '2026-01-01T00:00:00.000Z',
      units: {},
    };
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, benchStateFile), JSON.stringify(state));
    const { status, stderr } = umdBench([
      'paper',
      '--phantom',
      '--profile',
      'micro',
      '--tasks',
      'vqa-rad',
      '--variants',
      'scratch',
      '--no-floors',
      '--out',
      out,
      '--progress',
      'plain',
    ]);
    expect(status).toBe(1);
    expect(stderr).toContain('UMD_BenchGridMismatchError:');
    expect(stderr).toContain('grid.tasks: ["slake"] -> ["vqa-rad"]');
  });
});
