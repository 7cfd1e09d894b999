import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * The commit the code runs from: `git rev-parse HEAD`, with `+dirty` when tracked files have uncommitted changes.
 * Take it when a run STARTS (the tree may change while it runs). Outside a git checkout: `unknown (…)`.
 *
 * @param cwd a folder inside the checkout (default the current folder)
 */
export function gitCommit(cwd?: string): string {
  try {
    const options = { encoding: 'utf8' as const, stdio: ['ignore', 'pipe', 'ignore'] as ['ignore', 'pipe', 'ignore'], ...(cwd ? { cwd } : {}) };
    const head = execFileSync('git', ['rev-parse', 'HEAD'], options).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], options).trim() !== '';
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/**
 * The machine in one line for results records: CPU model, logical cores, AVX-512 when present, and what computes
 * (e.g. `AMD EPYC 9R14 (2 cores, avx512), wasm`).
 */
export function machineDescription(backend: string): string {
  const cpus = os.cpus();
  const cpu = cpus[0]?.model.trim() || 'unknown CPU';
  let avx512 = false;
  try {
    avx512 = /\bavx512f\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    // not Linux: leave the flag out
  }
  return `${cpu} (${cpus.length} cores${avx512 ? ', avx512' : ''}), ${backend}`;
}
