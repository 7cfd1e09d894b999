import os from 'node:os';

import * as tf from '@tensorflow/tfjs-core';

import { BackendUnavailableError } from '../errors/backend-unavailable-error.js';
import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { batchMatMulGradient } from './batch-mat-mul-gradient.js';
import { plainLayoutMatMulKernel } from './plain-layout-mat-mul-kernel.js';
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
   * Default: the `UMD_WASM_THREADS` environment variable, else the number of logical CPUs (at most 8). 1 keeps the
   * single-threaded build. Measured here: a transformer block training step 1.25× faster on 2 cores. Only takes effect
   * the first time the wasm backend starts in a process; if the threaded build cannot start, wasm runs single-threaded
   * and the log says why.
   */
  readonly wasmThreads?: number;
  /** Where `UMD_BACKEND` and `UMD_WASM_THREADS` are read from. Default: `process.env`. */
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
  /** `tf.version_core`. */
  readonly tfjsVersion: string;
}

const order: readonly ConcreteBackend[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
let current: RuntimeInfo | undefined;
let gradientsRegistered = false;
let plainLayoutInstalled = false;

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
  const candidates = request === 'auto' ? order : [request];
  const attempts: { backend: string; reason: string }[] = [];
  for (const candidate of candidates) {
    try {
      const started = await startBackend(candidate, importModule, wasmThreads, options._internal?.wasmThreads);
      const tfjsBackend = started.name;
      const fixes = [...installFixes(tfjsBackend), ...started.notes];
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
        ...(tfjsBackend === 'wasm' ? { threads: await wasmThreadCount() } : {}),
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
  // (global) registry on import. Ours replaces the matMul one afterwards.
  await import('@tensorflow/tfjs-layers');
  tf.registerGradient(batchMatMulGradient);
  gradientsRegistered = true;
}

function resolveWasmThreads(options: RuntimeOptions, env: Readonly<Record<string, string | undefined>>): number {
  const fromEnv = env['UMD_WASM_THREADS'];
  const value = options.wasmThreads ?? (fromEnv === undefined || fromEnv === '' ? Math.min(8, os.availableParallelism()) : Number(fromEnv));
  if (!Number.isInteger(value) || value < 1 || value > 64) {
    throw new InvalidConfigError(options.wasmThreads === undefined ? 'UMD_WASM_THREADS' : 'wasmThreads', options.wasmThreads ?? fromEnv, 'an integer from 1 to 64');
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
  return fixes;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
