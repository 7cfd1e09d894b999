import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { lockRunFolder } from '@umd/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const appDir = fileURLToPath(new URL('..', import.meta.url));

/** Runs `umd-train` from source, as `pnpm umd-train` does (each spawn costs a few seconds: eight in this file). */
function umdTrain(args: readonly string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, ['--conditions=@umd/source', '--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: appDir,
    encoding: 'utf8',
    env: { ...process.env, UMD_BACKEND: 'cpu', ...env },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('umd-train (spawned)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'trainer-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 1 with the config error, naming the key and the allowed values', async () => {
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, 'name: bad\nfinetune:\n  epoch: 3\ndata:\n  dataset: vqarad\n');
    const { status, stderr, stdout } = umdTrain(['run', '--config', file, '--out', path.join(dir, 'out')]);
    expect(status).toBe(1);
    expect(stderr).toContain(`UMD_ConfigError: Invalid config ${file} (2 problems)`);
    expect(stderr).toContain("finetune.epoch: unknown key. Did you mean 'epochs'?");
    expect(stderr).toContain("data.dataset: expected one of 'phantom', 'vqa-rad'");
    expect(stdout).not.toContain('Report:');
  });

  it('exits 1 naming the missing dataset folder and the README section', () => {
    const missing = path.join(dir, 'no-data');
    const { status, stderr } = umdTrain(['pretrain', '--config', 'vqa-rad', '--out', path.join(dir, 'vqa-rad'), '--progress', 'plain'], {
      UMD_DATA_DIR: missing,
    });
    expect(status).toBe(1);
    expect(stderr).toContain(`UMD_DatasetNotFoundError: medpix: ${path.join(missing, 'medpix-2.0')} does not exist.`);
    expect(stderr).toContain('"Data" in apps/trainer/README.md');
  });

  it('refuses a second run into a folder another run holds, naming the holder, and leaves the folder alone', async () => {
    const out = path.join(dir, 'held');
    const lock = await lockRunFolder(out); // this test process plays the first run
    try {
      await writeFile(path.join(out, 'pipeline.json'), '{"first run": true}');
      const { status, stderr } = umdTrain(['run', '--config', 'phantom', '--out', out, '--progress', 'plain']);
      expect(status).toBe(1);
      expect(stderr).toContain(`UMD_RunFolderLockedError: ${out} is locked by another run: pid ${process.pid} on ${os.hostname()}`);
      expect(await readFile(path.join(out, 'pipeline.json'), 'utf8')).toBe('{"first run": true}');
    } finally {
      await lock.release();
    }
  });

  it('prints its version (exit 0); a malformed command line exits 2, a config it cannot find exits 1 naming the ready configs', () => {
    const version = umdTrain(['--version']);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(umdTrain(['run', '--bogus']).status).toBe(2);
    const missing = umdTrain(['run', '--config', 'nope']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no such file, and no ready config of that name; ready configs are');
  });

  it('serve refuses a folder that is not a bundle before serving anything (exit 1, naming the missing file)', () => {
    const served = umdTrain(['serve', '--model', dir, '--port', '0']);
    expect(served.status).toBe(1);
    expect(served.stderr).toMatch(/checksums\.json: missing: .* is not a complete model bundle/);
    expect(umdTrain(['serve']).status).toBe(2); // --model is required
  });
});
