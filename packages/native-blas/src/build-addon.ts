import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { NativeBlasUnavailableError } from './errors/native-blas-unavailable-error.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The addon's one C file; `src/` ships in the package, one level below its root like `dist/`. */
const sourcePath = fileURLToPath(new URL('../src/native/umd_blas.c', import.meta.url));

/** Where a compiled addon is (or would be) and whether this call compiled it. */
export interface NativeBlasAddon {
  /** `<cache>/native-blas/<platform>-<arch>-<source hash>/umd_blas.node`. */
  readonly path: string;
  /** Milliseconds spent compiling it in this call; undefined when an earlier compile was reused. */
  readonly compiledInMs: number | undefined;
}

export interface EnsureNativeBlasAddonOptions {
  /** Where `UMD_CACHE_DIR`, `XDG_CACHE_HOME`, `CC` and `UMD_NODE_INCLUDE` are read from. Default `process.env`. */
  readonly env?: Env;
  /** Compile even when a compiled addon is in the cache. Default false. */
  readonly force?: boolean;
  /** Receives the compiler's command line before it runs. */
  readonly log?: (line: string) => void;
}

/**
 * The cache folder of compiled addons: `$UMD_CACHE_DIR/native-blas`, else `$XDG_CACHE_HOME/umd/native-blas`, else
 * `~/.cache/umd/native-blas` (the per-user cache of every `@umd/*` package).
 */
export function nativeBlasCacheFolder(env: Env = process.env): string {
  if (env['UMD_CACHE_DIR']) return path.join(env['UMD_CACHE_DIR'], 'native-blas');
  if (env['XDG_CACHE_HOME']) return path.join(env['XDG_CACHE_HOME'], 'umd', 'native-blas');
  return path.join(homedir(), '.cache', 'umd', 'native-blas');
}

/**
 * Returns the compiled addon, compiling it on first use: nothing is built at install time, so installing the package
 * never runs a script (pnpm blocks dependency scripts by default) and never fails. One C file (N-API, ABI-stable
 * across Node versions) is compiled with the system C compiler and Node's own headers (no node-gyp, no BLAS headers,
 * no network) into a per-user cache keyed by platform, architecture and the source's hash, so a new package version
 * compiles again and every project on the machine shares one build. Takes about a second, once. Concurrent first
 * uses are safe: each compiles to its own temporary file and renames it into place (atomic).
 *
 * @throws NativeBlasUnavailableError (`reason` `'not-built'`) saying why it cannot compile: an unsupported OS, no C
 *   compiler (`CC` names one), no `node_api.h` (`UMD_NODE_INCLUDE` names its folder), or the compiler's first error lines
 */
export function ensureNativeBlasAddon(options: EnsureNativeBlasAddonOptions = {}): NativeBlasAddon {
  const env = options.env ?? process.env;
  const fail: (why: string) => never = (why) => {
    throw new NativeBlasUnavailableError('not-built', [], `The @umd/native-blas addon cannot be compiled: ${why}.`);
  };
  if (process.platform !== 'linux' && process.platform !== 'darwin') fail(`platform ${process.platform} is not supported yet (Linux, macOS)`);
  if (!existsSync(sourcePath)) fail(`its source ${sourcePath} is missing`);
  const hash = createHash('sha256').update(readFileSync(sourcePath)).digest('hex').slice(0, 16);
  const output = path.join(nativeBlasCacheFolder(env), `${process.platform}-${process.arch}-${hash}`, 'umd_blas.node');
  if (!options.force && existsSync(output)) return { path: output, compiledInMs: undefined };

  const includeCandidates = [
    env['UMD_NODE_INCLUDE'],
    path.join(path.dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ].filter((dir): dir is string => Boolean(dir));
  const include = includeCandidates.find((dir) => existsSync(path.join(dir, 'node_api.h')));
  if (!include) fail(`node_api.h is not in ${includeCandidates.join(', ')} (set UMD_NODE_INCLUDE to the folder that has it)`);

  const compilers = env['CC'] ? [env['CC']] : ['cc', 'gcc', 'clang'];
  const compiler = compilers.find((cc) => spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0);
  if (!compiler) fail(`no C compiler (tried ${compilers.join(', ')}; install one, e.g. apt-get install gcc libc6-dev, or set CC)`);

  const started = performance.now();
  const temporary = `${output}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    mkdirSync(path.dirname(output), { recursive: true });
  } catch (error) {
    fail(`its cache folder ${path.dirname(output)} cannot be created (${String(error)}; set UMD_CACHE_DIR)`);
  }
  const linkFlags = process.platform === 'darwin' ? ['-bundle', '-undefined', 'dynamic_lookup'] : ['-shared', '-ldl', '-lm'];
  const args = [
    '-O3',
    '-fPIC',
    '-std=c11',
    '-fno-math-errno',
    '-fno-trapping-math',
    '-D_GNU_SOURCE',
    '-DNODE_GYP_MODULE_NAME=umd_blas',
    `-I${include}`,
    sourcePath,
    '-o',
    temporary,
    ...linkFlags,
  ];
  options.log?.(`${compiler} ${args.join(' ')}`);
  const result = spawnSync(compiler, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    rmSync(temporary, { force: true });
    const detail = (result.stderr || String(result.error ?? '')).trim().split('\n').slice(0, 3).join(' | ');
    fail(`${compiler} failed: ${detail}`);
  }
  renameSync(temporary, output);
  return { path: output, compiledInMs: performance.now() - started };
}
