import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

import { ensureNativeBlasAddon } from './build-addon.js';
import { NativeBlasUnavailableError } from './errors/native-blas-unavailable-error.js';
import type { NativeBlas, NativeLayerNormOp, NativeUnaryOp, SgemmBatch } from './native-blas.js';

/** The addon's raw exports (src/native/umd_blas.c). */
interface Addon {
  load(library: string): string;
  threads(): number;
  setThreads(count: number): void;
  sgemmBatched(
    heap: Float32Array,
    batch: number,
    transposeA: boolean,
    transposeB: boolean,
    m: number,
    n: number,
    k: number,
    aOffset: number,
    aStride: number,
    bOffset: number,
    bStride: number,
    cOffset: number,
    cStride: number,
  ): void;
  sumMiddle(heap: Float32Array, a: number, r: number, c: number, inOffset: number, outOffset: number): void;
  unary(op: number, heap: Float32Array, n: number, inOffset: number, outOffset: number): void;
  adamw(heap: Float32Array, ...args: number[]): void;
  layerNorm(op: number, heap: Float32Array, ...args: number[]): void;
  gelu(op: number, heap: Float32Array, n: number, x: number, dy: number, out: number): void;
  softmax(op: number, heap: Float32Array, rows: number, s: number, rowsPerMask: number, a: number, b: number, out: number, hasMask: number): void;
}

const unaryOps: Readonly<Record<NativeUnaryOp, number>> = { exp: 0, erf: 1 };
const layerNormOps: Readonly<Record<NativeLayerNormOp, number>> = { forward: 0, 'input-grad': 1, 'scale-grad': 2 };

/**
 * Optimised BLAS libraries tried in order when none is named. Debian's generic `libblas.so.3` is left out on purpose:
 * it may be the reference BLAS, which is slower than the wasm backend's own matMul.
 */
export const defaultBlasLibraries: Readonly<Partial<Record<NodeJS.Platform, readonly string[]>>> = {
  linux: ['libopenblas.so.0', 'libopenblas.so', 'libmkl_rt.so.2', 'libmkl_rt.so', 'libblis.so.4', 'libblis.so'],
  darwin: [
    '/System/Library/Frameworks/Accelerate.framework/Accelerate',
    'libopenblas.dylib',
    '/opt/homebrew/opt/openblas/lib/libopenblas.dylib',
    '/usr/local/opt/openblas/lib/libopenblas.dylib',
  ],
};

export interface LoadNativeBlasOptions {
  /**
   * The BLAS library to open (a file name for the dynamic loader's search path, or a path); it must export
   * `cblas_sgemm`. Default: the `UMD_BLAS_LIBRARY` environment variable, else {@link defaultBlasLibraries} for this
   * platform, first that opens.
   */
  readonly library?: string;
  /**
   * Where `UMD_NATIVE_BLAS` (`0` disables), `UMD_BLAS_LIBRARY` and the compile settings of
   * {@link ensureNativeBlasAddon} (`UMD_CACHE_DIR`, `CC`, `UMD_NODE_INCLUDE`) are read from. Default: `process.env`.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @internal test seam: the compiled addon's path (a missing file simulates a machine without a compiler). */
  readonly _internal?: { readonly addonPath?: string };
}

const require = createRequire(import.meta.url);

/**
 * Opens the system BLAS through this package's addon, compiled on first use into the per-user cache
 * ({@link ensureNativeBlasAddon}; about a second, once per machine and package version). Each call opens the library
 * again (cheap: the dynamic loader keeps it); keep the result.
 *
 * @throws NativeBlasUnavailableError with `reason` `'disabled'` (UMD_NATIVE_BLAS=0), `'not-built'` (the addon cannot
 *   be compiled or loaded: no C compiler or Node headers, or an unsupported OS; the message says which) or
 *   `'no-library'` (no library with `cblas_sgemm` could be opened; `attempts` says why for each)
 */
export function loadNativeBlas(options: LoadNativeBlasOptions = {}): NativeBlas {
  const env = options.env ?? process.env;
  if (env['UMD_NATIVE_BLAS'] === '0') {
    throw new NativeBlasUnavailableError('disabled', [], 'Native BLAS disabled by UMD_NATIVE_BLAS=0.');
  }
  const built = options._internal?.addonPath === undefined ? ensureNativeBlasAddon({ env }) : { path: options._internal.addonPath, compiledInMs: undefined };
  const addonPath = built.path;
  if (!existsSync(addonPath)) {
    throw new NativeBlasUnavailableError(
      'not-built',
      [],
      `The @umd/native-blas addon is not built (${addonPath} is missing). ` +
        'Compile it with `node node_modules/@umd/native-blas/scripts/build-addon.mjs --verbose` to see why it is not.',
    );
  }
  let addon: Addon;
  try {
    addon = require(addonPath) as Addon;
  } catch (error) {
    const message =
      `The @umd/native-blas addon at ${addonPath} does not load: ${firstLine(error)}. ` +
      'Compile it again with `node node_modules/@umd/native-blas/scripts/build-addon.mjs --force`.';
    throw new NativeBlasUnavailableError('not-built', [], message, { cause: error });
  }

  const named = options.library ?? nonEmpty(env['UMD_BLAS_LIBRARY']);
  const candidates = named !== undefined ? [named] : (defaultBlasLibraries[process.platform] ?? []);
  const attempts: { library: string; reason: string }[] = [];
  for (const library of candidates) {
    try {
      const config = addon.load(library);
      return bind(addon, library, config, built);
    } catch (error) {
      attempts.push({ library, reason: firstLine(error) });
    }
  }
  const tried = attempts.map((attempt) => `  - ${attempt.library}: ${attempt.reason}`).join('\n');
  throw new NativeBlasUnavailableError(
    'no-library',
    attempts,
    `No BLAS library with cblas_sgemm could be opened.\n${tried}\n` +
      'Install one (Debian/Ubuntu: apt-get install libopenblas0-pthread; macOS has Accelerate) or name it with UMD_BLAS_LIBRARY.',
  );
}

function bind(addon: Addon, library: string, config: string, built: { path: string; compiledInMs: number | undefined }): NativeBlas {
  return {
    library,
    config,
    addonPath: built.path,
    compiledInMs: built.compiledInMs,
    threads: () => {
      const count = addon.threads();
      return count > 0 ? count : undefined;
    },
    setThreads: (count) => addon.setThreads(count),
    sgemmBatched: (heap: Float32Array, g: SgemmBatch) =>
      addon.sgemmBatched(heap, g.batch, g.transposeA, g.transposeB, g.m, g.n, g.k, g.aOffset, g.aStride, g.bOffset, g.bStride, g.cOffset, g.cStride),
    sumMiddle: (heap, s) => addon.sumMiddle(heap, s.a, s.r, s.c, s.inOffset, s.outOffset),
    unary: (op, heap, range) => addon.unary(unaryOps[op], heap, range.n, range.inOffset, range.outOffset),
    gelu: (op, heap, g) => addon.gelu(op === 'forward' ? 0 : 1, heap, g.n, g.x, g.dy ?? 0, g.out),
    softmax: (op, heap, r) =>
      addon.softmax(op === 'forward' ? 0 : 1, heap, r.rows, r.s, r.rowsPerMask ?? 1, r.a, r.b ?? 0, r.out, op === 'gradient' || r.b !== undefined ? 1 : 0),
    layerNorm: (op, heap, l) => addon.layerNorm(layerNormOps[op], heap, l.rows, l.d, ...l.offsets, l.epsilon),
    adamw: (heap, s) =>
      addon.adamw(
        heap,
        s.n,
        s.pIn,
        s.mIn,
        s.vIn,
        s.gIn,
        s.pOut,
        s.mOut,
        s.vOut,
        s.beta1,
        s.oneMinusBeta1,
        s.beta2,
        s.oneMinusBeta2,
        s.stepSize,
        s.epsilonHat,
        s.decay,
      ),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
