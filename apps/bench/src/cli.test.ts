import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { benchStateFile, type BenchState } from './paper/bench-state.js';
import { paperProfiles } from './paper/paper-profiles.js';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const tsx = path.join(appDir, 'node_modules', '.bin', 'tsx');

/** Runs `umd-bench` from source, as `pnpm umd-bench` does (each spawn costs a few seconds: three in this file). */
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
