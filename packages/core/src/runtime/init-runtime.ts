import os from 'node:os';

import * as tf from '@tensorflow/tfjs-core';

import type { NativeBlas } from '@umd/native-blas';

import { BackendUnavailableError } from '../errors/backend-unavailable-error.js';
import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { geluGradient, geluKernels } from '../nn/gelu-kernel.js';
import { layerNormGradient, layerNormKernels } from '../nn/layer-norm-kernel.js';
import { maskedSoftmaxGradient, maskedSoftmaxKernels } from '../nn/masked-softmax-kernel.js';
import { adamWUpdateKernelName, adamWUpdateKernels } from '../optim/adamw-update-kernel.js';
import { batchMatMulGradient } from './batch-mat-mul-gradient.js';
import { heapGatherKernel } from './heap-gather-kernel.js';
import { heapSliceKernels } from './heap-slice-kernels.js';
import { nativeBlasMatMulKernel } from './native-blas-mat-mul-kernel.js';
import { nativeUnaryKernel } from './native-unary-kernel.js';
import { plainLayoutMatMulKernel } from './plain-layout-mat-mul-kernel.js';
import { elementwiseGradients } from './elementwise-gradients.js';
import { shareSavedTensors } from './saved-tensors-by-reference.js';
import { sharedIdentityKernels } from './shared-identity-kernels.js';
import { stridedSumKernel } from './strided-sum-kernel.js';
import { tileGradient } from './tile-gradient.js';
import { unsortedSegmentSumWasmKernel } from './unsorted-segment-sum-kernel.js';
import { startThreadedWasm, wasmThreadCount, type WasmThreadsInternal } from './wasm-threads.js';

/** Backends UMD-TS can run on, fastest first. `tensorflow-gpu` and `tensorflow` are libtensorflow through tfjs-node. */
export const backendNames = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof backendNames)[number];
type ConcreteBackend = Exclude<BackendName, 'auto'>;

export interface RuntimeOptions {
  /**
   * Which backend to use. Default: the `UMD_BACKEND` environment variable, else `'auto'`, which tries
   * `tensorflow-gpu`, `tensorflow`, `wasm`, `cpu` in that order and takes the first that starts.
   */
  readonly backend?: BackendName;
  /** Receives one line saying which backend was chosen and why (and warnings). Default: silent. */
  readonly onLog?: (message: string) => void;
  /**
   * Threads for the wasm backend (its multithreaded SIMD build, which tfjs never selects in Node on its own).
   * Default: the `UMD_WASM_THREADS` environment variable, else 1 when the native BLAS runs the matMuls (the BLAS
   * threads them; what stays in wasm is memory-bound element-wise work, whose 2-thread dispatch cost more than it
   * saved: the tiny MR pre-training step took 0.73 s with 1 thread, 1.9-2.2 s with 2, on the shared 2-core machine), else
   * the number of logical CPUs (at most 8; a transformer block training step 1.25× faster on 2 cores with the wasm
   * matMul). 1 keeps the single-threaded build. Only takes effect the first time the wasm backend starts in a process;
   * if the threaded build cannot start, wasm runs single-threaded and the log says why.
   */
  readonly wasmThreads?: number;
  /**
   * Run the wasm backend's matMuls through the system BLAS (the optional `@umd/native-blas` addon) when it is
   * installed and built and a BLAS library opens. Default: true unless the `UMD_NATIVE_BLAS` environment variable is
   * `0`. The log line says which matMul path runs and, when it is not the native one, why. Measured here (all at 1
   * thread): the transformer block training step 0.39-0.48 s → 0.10-0.11 s, the tiny MR pre-training step 1.2-1.5 s
   * → 0.40-0.41 s (with the heap kernels). Only takes effect the first time the wasm backend starts in a process. `UMD_BLAS_LIBRARY` names the library (see `@umd/native-blas`).
   */
  readonly nativeBlas?: boolean;
  /**
   * Threads of the native BLAS. Default: the `UMD_BLAS_THREADS` environment variable; else the library's own setting
   * when one of its variables is set (`OPENBLAS_NUM_THREADS`, `GOTO_NUM_THREADS`, `OMP_NUM_THREADS`,
   * `MKL_NUM_THREADS`, `BLIS_NUM_THREADS`); else half the logical CPUs (at least 1; tfjs-wasm's own rule). On the shared
   * 2-core machine 1 thread beat 2 for every workload measured (tiny MR step ~0.40 s vs ~0.83 s; the block step
   * ~0.10 s vs ~0.13 s): a second BLAS thread waits for a core other jobs hold. Only takes effect when the native
   * BLAS is first loaded.
   */
  readonly blasThreads?: number;
  /**
   * Where `UMD_BACKEND`, `UMD_WASM_THREADS`, `UMD_NATIVE_BLAS`, `UMD_BLAS_LIBRARY` and `UMD_BLAS_THREADS` are read
   * from. Default: `process.env`.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @internal test seams: the dynamic import of optional packages; the threaded wasm build's files. */
  readonly _internal?: {
    readonly importModule?: (specifier: string) => Promise<unknown>;
    readonly wasmThreads?: WasmThreadsInternal;
  };
}

export interface RuntimeInfo {
  /** The UMD backend name (`tensorflow-gpu` when tfjs-node-gpu provides the `tensorflow` tfjs backend). */
  readonly backend: ConcreteBackend;
  /** The tfjs backend name as `tf.getBackend()` reports it. */
  readonly tfjsBackend: string;
  /** Why this backend: what was requested and what failed before it. */
  readonly reason: string;
  /** Backends tried before this one, with the error each gave. */
  readonly attempts: readonly { backend: string; reason: string }[];
  /** Speed fixes active on this backend. */
  readonly fixes: readonly string[];
  /** Threads the backend computes with (wasm: 1 unless its threaded build started; others: not managed here). */
  readonly threads?: number;
  /** wasm only: which kernel runs matMuls, the system BLAS (`native-blas`) or the backend's own (`wasm`). */
  readonly matMul?: 'native-blas' | 'wasm';
  /** `tf.version_core`. */
  readonly tfjsVersion: string;
}

const order: readonly ConcreteBackend[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
let current: RuntimeInfo | undefined;
let gradientsRegistered = false;
let plainLayoutInstalled = false;
let wasmKernels: { matMul: 'native-blas' | 'wasm'; notes: string[] } | undefined;
/** The native BLAS, loaded once before the wasm backend first starts (or why not). */
let native: { blas?: NativeBlas; unavailable: string } | undefined;

/**
 * Starts the tfjs runtime once per process: registers every gradient (tfjs-core alone registers none), selects the
 * backend, installs the training speed fixes (on wasm: transposed matMuls as transpose + plain matMul, an
 * `UnsortedSegmentSum` kernel so embeddings train, the multithreaded build) and reports the choice through `onLog`.
 *
 * Only applications call this (libraries never pick a backend). A second call with the same request returns the
 * same info; a different backend after tensors exist is allowed but reported, since existing tensors move backends.
 *
 * @throws BackendUnavailableError when the requested backend (or, for `auto`, every backend) cannot start
 * @throws InvalidConfigError when `backend`/`UMD_BACKEND` is not one of {@link backendNames}
 */
export async function initRuntime(options: RuntimeOptions = {}): Promise<RuntimeInfo> {
  const env = options.env ?? process.env;
  const fromEnv = env['UMD_BACKEND'];
  const requested = options.backend ?? (fromEnv === undefined || fromEnv === '' ? 'auto' : fromEnv);
  if (!(backendNames as readonly string[]).includes(requested)) {
    throw new InvalidConfigError(options.backend ? 'backend' : 'UMD_BACKEND', requested, backendNames.join(', '));
  }
  const request = requested as BackendName;
  if (current && (request === 'auto' || request === current.backend)) return current;
  if (current && tf.memory().numTensors > 0) {
    options.onLog?.(
      `[umd] switching backend from ${current.backend} to ${request} with ${tf.memory().numTensors} live tensors; ` +
        'they stay on the old backend until read.',
    );
  }

  await registerGradients();
  const importModule = options._internal?.importModule ?? ((specifier: string) => import(specifier));
  const wasmThreads = resolveWasmThreads(options, env);
  const blasThreads = resolveBlasThreads(options, env);
  const candidates = request === 'auto' ? order : [request];
  const attempts: { backend: string; reason: string }[] = [];
  for (const candidate of candidates) {
    try {
      if (candidate === 'wasm') {
        native ??= await loadNative(options.nativeBlas ?? env['UMD_NATIVE_BLAS'] !== '0', importModule, env, blasThreads);
      }
      const threads = wasmThreads ?? (native?.blas ? 1 : Math.min(8, os.availableParallelism()));
      const started = await startBackend(candidate, importModule, threads, options._internal?.wasmThreads);
      const tfjsBackend = started.name;
      const fixes = [...installFixes(tfjsBackend), ...started.notes];
      if (tfjsBackend === 'wasm') {
        wasmKernels ??= installWasmKernels(native ?? { unavailable: 'not loaded' });
        fixes.push(...wasmKernels.notes);
        if (native?.blas && (await wasmThreadCount()) === 1 && wasmThreads === undefined) {
          fixes.push('single-threaded wasm (the native BLAS threads the matMuls; UMD_WASM_THREADS overrides)');
        }
      }
      const reason =
        request === 'auto'
          ? `auto: ${attempts.length === 0 ? 'first choice' : attempts.map((a) => `${a.backend} unavailable`).join(', ')}`
          : `requested${options.backend ? '' : ' by UMD_BACKEND'}`;
      current = {
        backend: candidate,
        tfjsBackend,
        reason,
        attempts,
        fixes,
        tfjsVersion: tf.version_core,
        ...(tfjsBackend === 'wasm' ? { threads: await wasmThreadCount(), matMul: wasmKernels?.matMul ?? 'wasm' } : {}),
      };
      options.onLog?.(describeRuntime(current));
      return current;
    } catch (error) {
      attempts.push({ backend: candidate, reason: firstLine(error) });
    }
  }
  throw new BackendUnavailableError(
    request,
    attempts,
    request === 'tensorflow-gpu' || request === 'tensorflow'
      ? `Install it with 'npm install @tensorflow/${request === 'tensorflow' ? 'tfjs-node' : 'tfjs-node-gpu'}@4.22.0' ` +
          '(its install script downloads libtensorflow; set TFJS_NODE_BASE_URI for a mirror), or use UMD_BACKEND=wasm.'
      : `Use one of: ${backendNames.join(', ')}.`,
  );
}

/** The runtime chosen by {@link initRuntime}, or undefined before it ran. */
export function currentRuntime(): RuntimeInfo | undefined {
  return current;
}

/** One line for logs: `[umd] backend wasm (tfjs 4.22.0; auto: tensorflow-gpu unavailable, …); fixes: …`. */
export function describeRuntime(info: RuntimeInfo): string {
  const fixes = info.fixes.length > 0 ? `; fixes: ${info.fixes.join(', ')}` : '';
  return `[umd] backend ${info.backend} (tfjs ${info.tfjsVersion}; ${info.reason})${fixes}`;
}

async function registerGradients(): Promise<void> {
  if (gradientsRegistered) return;
  // tfjs-core's Node bundle registers no gradients; tfjs-layers' bundle registers all of them into the shared
  // (global) registry on import. Ours replace the matMul, tile, add, sub and multiply ones afterwards.
  await import('@tensorflow/tfjs-layers');
  tf.registerGradient(batchMatMulGradient);
  tf.registerGradient(tileGradient);
  for (const gradient of elementwiseGradients) tf.registerGradient(gradient);
  tf.registerGradient(layerNormGradient);
  tf.registerGradient(geluGradient);
  tf.registerGradient(maskedSoftmaxGradient);
  gradientsRegistered = true;
}

/** The wasm thread count asked for (option, else `UMD_WASM_THREADS`), or undefined for the default. */
function resolveWasmThreads(options: RuntimeOptions, env: Readonly<Record<string, string | undefined>>): number | undefined {
  const fromEnv = env['UMD_WASM_THREADS'];
  if (options.wasmThreads === undefined && (fromEnv === undefined || fromEnv === '')) return undefined;
  const value = options.wasmThreads ?? Number(fromEnv);
  if (!Number.isInteger(value) || value < 1 || value > 64) {
    throw new InvalidConfigError(
      options.wasmThreads === undefined ? 'UMD_WASM_THREADS' : 'wasmThreads',
      options.wasmThreads ?? fromEnv,
      'an integer from 1 to 64',
    );
  }
  return value;
}

async function startBackend(
  backend: ConcreteBackend,
  importModule: (specifier: string) => Promise<unknown>,
  wasmThreads: number,
  wasmInternal: WasmThreadsInternal | undefined,
): Promise<{ name: string; notes: string[] }> {
  switch (backend) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      const specifier = backend === 'tensorflow' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
      try {
        await importModule(specifier);
      } catch (error) {
        throw new Error(`${specifier} could not be loaded (${firstLine(error)})`, { cause: error });
      }
      return { name: await activate('tensorflow'), notes: [] };
    }
    case 'wasm': {
      await import('@tensorflow/tfjs-backend-wasm');
      return withoutEmscriptenProcessHandlers(() => startWasm(wasmThreads, wasmInternal));
    }
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return { name: await activate('cpu'), notes: [] };
  }
}

async function startWasm(wasmThreads: number, wasmInternal: WasmThreadsInternal | undefined): Promise<{ name: string; notes: string[] }> {
  const notes: string[] = [];
  if (wasmThreads > 1 && !tf.findBackend('wasm')) {
    try {
      await startThreadedWasm(wasmThreads, wasmInternal);
      await tf.ready();
      return { name: 'wasm', notes: [`multithreaded wasm (${await wasmThreadCount()} threads)`] };
    } catch (error) {
      notes.push(`single-threaded wasm (threaded build unavailable: ${firstLine(error)})`);
    }
  }
  return { name: await activate('wasm'), notes };
}

/**
 * Emscripten's Node glue installs `uncaughtException`/`unhandledRejection` handlers that re-throw from inside the glue,
 * so any later uncaught error in the application prints the whole minified wasm loader instead of its own stack (and
 * exits with code 7). tfjs never relies on them (they exist for Emscripten's `exit()`); remove the ones added while
 * the backend starts, restoring Node's own reporting.
 */
async function withoutEmscriptenProcessHandlers<T>(start: () => Promise<T>): Promise<T> {
  const exceptionListeners = new Set(process.listeners('uncaughtException'));
  const rejectionListeners = new Set(process.listeners('unhandledRejection'));
  try {
    return await start();
  } finally {
    for (const listener of process.listeners('uncaughtException')) {
      if (!exceptionListeners.has(listener)) process.removeListener('uncaughtException', listener);
    }
    for (const listener of process.listeners('unhandledRejection')) {
      if (!rejectionListeners.has(listener)) process.removeListener('unhandledRejection', listener);
    }
  }
}

async function activate(name: string): Promise<string> {
  if (!(await tf.setBackend(name))) {
    // tf.setBackend reports failure with `false` (and a console warning); turn it into an error with context.
    throw new Error(`tf.setBackend('${name}') failed; registered backends: ${Object.keys(tf.engine().registryFactory).join(', ')}`);
  }
  await tf.ready();
  return name;
}

function installFixes(tfjsBackend: string): string[] {
  const fixes = ['all gradients registered'];
  if (tfjsBackend === 'wasm') {
    const matMul = tf.getKernel(tf.BatchMatMul, 'wasm');
    const transpose = tf.getKernel(tf.Transpose, 'wasm');
    if (matMul && transpose && !plainLayoutInstalled) {
      tf.unregisterKernel(tf.BatchMatMul, 'wasm');
      tf.registerKernel(plainLayoutMatMulKernel(matMul, transpose));
      plainLayoutInstalled = true;
    }
    fixes.push('transposed matMuls as transpose + plain matMul');
    if (tf.getKernel(tf.UnsortedSegmentSum, 'wasm') === undefined) tf.registerKernel(unsortedSegmentSumWasmKernel);
    fixes.push('UnsortedSegmentSum kernel (embedding gradients)');
  }
  if (tfjsBackend === 'cpu') {
    if (tf.getKernel(adamWUpdateKernelName, 'cpu') === undefined) tf.registerKernel(adamWUpdateKernels().find((kernel) => kernel.backendName === 'cpu')!);
    fixes.push('fused AdamW update');
    for (const kernel of layerNormKernels().filter((k) => k.backendName === 'cpu')) if (!tf.getKernel(kernel.kernelName, 'cpu')) tf.registerKernel(kernel);
    fixes.push('fused LayerNorm');
  }
  if (tfjsBackend === 'wasm' || tfjsBackend === 'cpu') {
    shareSavedTensors(true);
    fixes.push('gradient saves by reference');
  }
  return fixes;
}

/** The subset of `@umd/native-blas` used here (it is an optional dependency: imported dynamically). */
interface NativeBlasModule {
  loadNativeBlas(options: { env: Readonly<Record<string, string | undefined>> }): NativeBlas;
}

/**
 * Loads `@umd/native-blas` (an optional dependency: imported dynamically) and sets its threads (undefined: leave the
 * library's own setting). Never throws: says why not instead.
 */
async function loadNative(
  wanted: boolean,
  importModule: (specifier: string) => Promise<unknown>,
  env: Readonly<Record<string, string | undefined>>,
  threads: number | undefined,
): Promise<{ blas?: NativeBlas; unavailable: string }> {
  if (!wanted) return { unavailable: 'disabled' };
  try {
    const blas = ((await importModule('@umd/native-blas')) as NativeBlasModule).loadNativeBlas({ env });
    if (threads !== undefined) blas.setThreads(threads);
    return { blas, unavailable: '' };
  } catch (error) {
    return { unavailable: `unavailable: ${firstLine(error)}` };
  }
}

/** Variables through which BLAS libraries read their thread count: when one is set, the library's setting stands. */
const blasThreadVariables = ['OPENBLAS_NUM_THREADS', 'GOTO_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS', 'BLIS_NUM_THREADS'];

/** The native BLAS's threads: `blasThreads`, `UMD_BLAS_THREADS`, the library's own variables, else half the CPUs. */
function resolveBlasThreads(options: RuntimeOptions, env: Readonly<Record<string, string | undefined>>): number | undefined {
  const fromEnv = env['UMD_BLAS_THREADS'];
  if (options.blasThreads === undefined && (fromEnv === undefined || fromEnv === '')) {
    if (blasThreadVariables.some((name) => (env[name] ?? '') !== '')) return undefined;
    return Math.max(1, Math.floor(os.availableParallelism() / 2));
  }
  const value = options.blasThreads ?? Number(fromEnv);
  if (!Number.isInteger(value) || value < 1 || value > 256) {
    throw new InvalidConfigError(
      options.blasThreads === undefined ? 'UMD_BLAS_THREADS' : 'blasThreads',
      options.blasThreads ?? fromEnv,
      'an integer from 1 to 256',
    );
  }
  return value;
}

/**
 * Installs the wasm kernels that work in place on the heap: Slice/SplitV/Concat and GatherV2 by memmove, Identity (the copies tfjs makes
 * of every tensor a gradient needs) without copying, Sum over leading axes without a transpose, the fused AdamW
 * update, and — with the native BLAS — BatchMatMul through the system BLAS and vectorised Exp/Erf (the native addon
 * also runs the Sum and AdamW loops). The kernels replaced stay as fallbacks of the new ones. The notes say what was
 * installed; one of them always names the matMul path and, when it is not the native one, why.
 */
function installWasmKernels({ blas, unavailable }: { blas?: NativeBlas; unavailable: string }): { matMul: 'native-blas' | 'wasm'; notes: string[] } {
  const notes: string[] = [];
  const slice = tf.getKernel(tf.Slice, 'wasm');
  const splitV = tf.getKernel(tf.SplitV, 'wasm');
  const concat = tf.getKernel(tf.Concat, 'wasm');
  if (slice && splitV && concat) {
    for (const kernel of heapSliceKernels({ slice, splitV, concat })) replaceKernel(kernel);
    notes.push('Slice/SplitV/Concat by memmove on the heap');
  }
  const gather = tf.getKernel(tf.GatherV2, 'wasm');
  if (gather) {
    replaceKernel(heapGatherKernel(gather));
    notes.push('GatherV2 by memmove on the heap');
  }
  const identity = tf.getKernel(tf.Identity, 'wasm');
  const cast = tf.getKernel(tf.Cast, 'wasm');
  if (identity && cast) {
    for (const kernel of sharedIdentityKernels({ identity, cast })) replaceKernel(kernel);
    notes.push('Identity/same-dtype Cast without copies');
  }
  replaceKernel(adamWUpdateKernels(blas).find((kernel) => kernel.backendName === 'wasm')!);
  notes.push(`fused AdamW update (${blas ? 'native' : 'JavaScript'} loop)`);
  for (const kernel of layerNormKernels(blas).filter((k) => k.backendName === 'wasm')) replaceKernel(kernel);
  notes.push(`fused LayerNorm (${blas ? 'native' : 'JavaScript'} loop)`);
  if (blas) {
    for (const kernel of [...geluKernels(blas), ...maskedSoftmaxKernels(blas)]) replaceKernel(kernel);
    notes.push('fused GELU and attention softmax (native loops)');
  }
  const sum = tf.getKernel(tf.Sum, 'wasm');
  if (sum) {
    replaceKernel(stridedSumKernel(sum, blas));
    notes.push(`Sum over leading axes without transpose (${blas ? 'native' : 'JavaScript'} loop)`);
  }
  const matMul = tf.getKernel(tf.BatchMatMul, 'wasm');
  if (blas === undefined || matMul === undefined) {
    notes.push(`wasm matMul (native BLAS ${blas ? 'has no kernel to replace' : unavailable})`);
    return { matMul: 'wasm', notes };
  }
  replaceKernel(nativeBlasMatMulKernel(blas, matMul));
  for (const [op, name] of [
    ['exp', tf.Exp],
    ['erf', tf.Erf],
  ] as const) {
    const original = tf.getKernel(name, 'wasm');
    if (original) replaceKernel(nativeUnaryKernel(blas, op, original));
  }
  const threads = blas.threads();
  const version = blas.config.split(' ').slice(0, 2).join(' ');
  const compiled = blas.compiledInMs === undefined ? '' : `addon compiled on first use in ${(blas.compiledInMs / 1000).toFixed(1)} s`;
  const described = [blas.library, version, threads === undefined ? '' : `${threads} thread${threads === 1 ? '' : 's'}`, compiled].filter(
    (part) => part !== '',
  );
  notes.push(`native BLAS matMul (${described.join(', ')})`, 'native exp/erf');
  return { matMul: 'native-blas', notes };
}

/** Registers `kernel`, replacing the backend's kernel of that name if there is one. */
function replaceKernel(kernel: tf.KernelConfig): void {
  if (tf.getKernel(kernel.kernelName, kernel.backendName) !== undefined) tf.unregisterKernel(kernel.kernelName, kernel.backendName);
  tf.registerKernel(kernel);
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
