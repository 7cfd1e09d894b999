import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { PerfCheckoutError } from '../errors/perf-checkout-error.js';
import { PerfWorkloadError } from '../errors/perf-workload-error.js';
import { runPerf } from './run-perf.js';

const fixtures = path.join(import.meta.dirname, '__fixtures__');

describe('runPerf', () => {
  it('runs each script in its own process and adds the peak RSS the process reached', async () => {
    const logs: string[] = [];
    const run = await runPerf({
      repoRoot: fixtures,
      onLog: (line) => logs.push(line),
      _internal: {
        scripts: [
          { packageName: '@umd/fixture', script: 'print-workloads.ts', args: () => [] },
          { packageName: '@umd/broken', script: 'fail-workload.ts', args: () => [] },
        ],
      },
    });
    expect(run.records.map((record) => record.workload)).toEqual(['fixture-step', 'tokenize']);
    const [step, tokenize] = run.records;
    expect(step).toMatchObject({ package: '@umd/fixture', ms: 25, samplesPerSecond: 320, backend: 'wasm', threads: 2 });
    // The script holds 64 MiB of Float64Arrays when it prints: its peak RSS must be above that.
    expect(step!.peakRssMiB).toBeGreaterThan(64);
    expect(tokenize!.peakRssMiB).toBeGreaterThanOrEqual(step!.peakRssMiB!);
    expect(logs).toContain('[@umd/fixture] allocated 8 blocks');
    expect(run.failures).toHaveLength(1);
    expect(run.failures[0]).toBeInstanceOf(PerfWorkloadError);
    expect(run.failures[0]!.message).toMatch(/@umd\/broken workload fail-workload\.ts failed \(exit 3\).*fixture: no backend available/);
  });

  it('filters packages by short or full name', async () => {
    const run = await runPerf({
      repoRoot: fixtures,
      packages: ['broken'],
      _internal: {
        scripts: [
          { packageName: '@umd/fixture', script: 'print-workloads.ts', args: () => [] },
          { packageName: '@umd/broken', script: 'fail-workload.ts', args: () => [] },
        ],
      },
    });
    expect(run.records).toEqual([]);
    expect(run.failures.map((failure) => failure.packageName)).toEqual(['@umd/broken']);
  });

  it('without a checkout, runs the compiled scripts the installed packages ship with plain node, and names what it skips', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'umd-perf-'));
    try {
      const logs: string[] = [];
      const scripts = [
        { packageName: '@umd/shipped', script: 'packages/shipped/bench/run.ts', installed: 'compiled/run.js', args: () => ['--runs', '2'] },
        { packageName: '@umd/internal', script: 'packages/internal/bench/run.ts', args: () => [] },
      ];
      const packageDir = (name: string): string | undefined => (name === '@umd/shipped' ? path.join(fixtures, 'installed-package') : undefined);
      const run = await runPerf({ only: ['small-step'], onLog: (line) => logs.push(line), _internal: { scripts, defaultRepoRoot: empty, packageDir } });
      expect(run.source).toBe('installed');
      expect(run.records.map((record) => [record.package, record.workload, record.ms])).toEqual([['@umd/shipped', 'small-step', 12]]); // --only filters
      expect(run.records[0]!.peakRssMiB).toBeGreaterThan(0);
      expect(run.skipped).toEqual(['@umd/internal']);
      expect(logs).toContain(
        '[perf] @umd/internal: skipped — its workloads swap the package’s internal kernels (A/B) and run from a checkout only (--repo DIR)',
      );
      expect(run.failures).toEqual([]);
      // Nothing runnable at all: the typed error, as before.
      await expect(runPerf({ _internal: { scripts: [scripts[1]!], defaultRepoRoot: empty, packageDir } })).rejects.toThrow(PerfCheckoutError);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('says it needs a checkout when the workload scripts are not there (an installed package), before running anything', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'umd-perf-'));
    try {
      const attempt = runPerf({ repoRoot: empty, packages: ['core'] });
      await expect(attempt).rejects.toThrow(PerfCheckoutError);
      await expect(runPerf({ repoRoot: empty, packages: ['core'] })).rejects.toThrow(
        /not one with its dependencies installed \(missing: packages\/core\/bench\/run\.ts\).*--repo DIR/,
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
