import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { BenchGridMismatchError } from '../errors/bench-grid-mismatch-error.js';
import { BenchStateError } from '../errors/bench-state-error.js';
import { assertSameGrid, benchStateFile, readBenchState, withUnit, writeBenchState, type BenchGridIdentity, type BenchState } from './bench-state.js';
import { paperProfiles } from './paper-profiles.js';

const grid: BenchGridIdentity = { profile: paperProfiles.quick, tasks: ['vqa-rad', 'slake'], rows: ['scratch', 'text-only'], seeds: [0], data: '/data' };

describe('bench state', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'umd-bench-state-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips through the state file, one unit at a time', async () => {
    expect(await readBenchState(dir)).toBeUndefined();
    const empty: BenchState = { formatVersion: 1, grid, startedAt: '2026-01-01T00:00:00.000Z', units: {} };
    const state = withUnit(empty, 'tune/vqa-rad/scratch/seed-0', { status: 'complete', seconds: 12.5, updatedAt: 'now', result: { steps: 3 } });
    expect(empty.units).toEqual({});
    await writeBenchState(dir, state);
    const read = await readBenchState(dir);
    expect(read).toEqual(state);
    expect(JSON.parse(await readFile(path.join(dir, benchStateFile), 'utf8')).units['tune/vqa-rad/scratch/seed-0'].seconds).toBe(12.5);
  });

  it('rejects a file that is not a bench state, saying how to go on', async () => {
    await writeFile(path.join(dir, benchStateFile), '{"formatVersion": 1, "units": {}');
    await expect(readBenchState(dir)).rejects.toThrow(BenchStateError);
    await writeFile(path.join(dir, benchStateFile), '{"formatVersion": 2, "units": {}, "grid": {}}');
    await expect(readBenchState(dir)).rejects.toThrow(/not a bench state of format version 1.*--no-resume/);
  });

  it('accepts the same grid and lists every difference of another', () => {
    const state: BenchState = { formatVersion: 1, grid: JSON.parse(JSON.stringify(grid)), startedAt: 'then', units: {} };
    expect(() => assertSameGrid(state, grid, 'bench-state.json')).not.toThrow();
    const changed: BenchGridIdentity = { ...grid, seeds: [0, 1], profile: { ...grid.profile, pretrain: { ...grid.profile.pretrain, steps: 99 } } };
    let error: unknown;
    try {
      assertSameGrid(state, changed, 'bench-state.json');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BenchGridMismatchError);
    expect((error as BenchGridMismatchError).differences).toEqual(['grid.profile.pretrain.steps: 30 -> 99', 'grid.seeds: [0] -> [0,1]']);
    expect((error as Error).message).toMatch(/--no-resume/);
  });
});
