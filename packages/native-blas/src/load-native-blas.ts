import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { NativeBlasUnavailableError } from './errors/native-blas-unavailable-error.js';
import type { NativeBlas, NativeUnaryOp, SgemmBatch } from './native-blas.js';

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
}

const unaryOps: Readonly<Record<NativeUnaryOp, number>> = { exp: 0, erf: 1 };

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
  /** Where `UMD_NATIVE_BLAS` (`0` disables) and `UMD_BLAS_LIBRARY` are read from. Default: `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @internal test seam: the compiled addon's path (a missing file simulates a machine without a compiler). */
  readonly _internal?: { readonly addonPath?: string };
}

const defaultAddonPath = fileURLToPath(new URL('../build/umd_blas.node', import.meta.url));
const require = createRequire(import.meta.url);

/**
 * Opens the system BLAS through the addon this package compiles at install time. Each call opens the library again
 * (cheap: the dynamic loader keeps it); keep the result.
 *
 * @throws NativeBlasUnavailableError with `reason` `'disabled'` (UMD_NATIVE_BLAS=0), `'not-built'` (no addon: no
 *   compiler or Node headers at install, install scripts blocked, or an unsupported OS) or `'no-library'` (no
 *   library with `cblas_sgemm` could be opened; `attempts` says why for each)
 */
export function loadNativeBlas(options: LoadNativeBlasOptions = {}): NativeBlas {
  const env = options.env ?? process.env;
  if (env['UMD_NATIVE_BLAS'] === '0') {
    throw new NativeBlasUnavailableError('disabled', [], 'Native BLAS disabled by UMD_NATIVE_BLAS=0.');
  }
  const addonPath = options._internal?.addonPath ?? defaultAddonPath;
  if (!existsSync(addonPath)) {
    throw new NativeBlasUnavailableError(
      'not-built',
      [],
      `The @umd/native-blas addon is not built (${addonPath} is missing). It needs a C compiler and Node's headers; ` +
        'build it with `node scripts/build-addon.mjs --verbose` in the package (pnpm: allow its install script).',
    );
  }
  let addon: Addon;
  try {
    addon = require(addonPath) as Addon;
  } catch (error) {
    const message = `The @umd/native-blas addon at ${addonPath} does not load: ${firstLine(error)}. Rebuild it.`;
    throw new NativeBlasUnavailableError('not-built', [], message, { cause: error });
  }

  const named = options.library ?? nonEmpty(env['UMD_BLAS_LIBRARY']);
  const candidates = named !== undefined ? [named] : (defaultBlasLibraries[process.platform] ?? []);
  const attempts: { library: string; reason: string }[] = [];
  for (const library of candidates) {
    try {
      const config = addon.load(library);
      return bind(addon, library, config);
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

function bind(addon: Addon, library: string, config: string): NativeBlas {
  return {
    library,
    config,
    threads: () => {
      const count = addon.threads();
      return count > 0 ? count : undefined;
    },
    setThreads: (count) => addon.setThreads(count),
    sgemmBatched: (heap: Float32Array, g: SgemmBatch) =>
      addon.sgemmBatched(heap, g.batch, g.transposeA, g.transposeB, g.m, g.n, g.k, g.aOffset, g.aStride, g.bOffset, g.bStride, g.cOffset, g.cStride),
    sumMiddle: (heap, s) => addon.sumMiddle(heap, s.a, s.r, s.c, s.inOffset, s.outOffset),
    unary: (op, heap, range) => addon.unary(unaryOps[op], heap, range.n, range.inOffset, range.outOffset),
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
