import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type * as WorkerThreads from 'node:worker_threads';

import * as tf from '@tensorflow/tfjs-core';

const require = createRequire(import.meta.url);
/** The CommonJS module object: the one the wasm glue reads `Worker` from. */
const workerThreads = require('node:worker_threads') as typeof WorkerThreads;

/** @internal test seam */
export interface WasmThreadsInternal {
  /** Replaces the path of the threaded build's worker script (a missing file simulates another tfjs version). */
  readonly workerScript?: string;
}

const pthreadWorkers = new WeakSet<WorkerThreads.Worker>();
let workerPatched = false;

/**
 * Starts tfjs' multithreaded SIMD wasm build in Node, which tfjs-backend-wasm 4.22 never selects there (its
 * `WASM_HAS_MULTITHREAD_SUPPORT` check is false whenever it runs in Node). Emscripten's pthread glue expects a browser:
 *
 * 1. it starts each pthread from a `blob:` URL, which `worker_threads.Worker` rejects: pthread workers are started from
 *    the shipped worker source (`wasm-out/…threaded-simd.worker.js`, evaluated) instead;
 * 2. the worker's `load` message carries the main script as a Blob: it gets the shipped file's path;
 * 3. XNNPACK's pool threads never end and Emscripten `ref()`s them: they are `unref()`ed so the process still exits;
 * 4. the backend caps threads at half of `os.cpus().length` (it assumes hyper-threading): the CPU list is padded
 *    while the backend starts.
 *
 * Only workers created by the wasm glue are affected; every other `Worker` behaves as before. Must run before the
 * wasm backend is first initialised. Throws (having changed nothing that matters) when the build's files are not
 * where tfjs 4.22 keeps them; the caller then falls back to single-threaded wasm.
 *
 * @param threads 2 or more
 */
export async function startThreadedWasm(threads: number, internal: WasmThreadsInternal = {}): Promise<void> {
  const packageDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const workerScript = internal.workerScript ?? path.join(packageDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js');
  const mainScript = path.join(packageDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const { wasmWorkerContents } = require(workerScript) as { wasmWorkerContents: string };
  require.resolve(mainScript);
  patchWorker(wasmWorkerContents.replace(/\n/g, '\\n'), mainScript);

  const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as { setThreadsCount(count: number): void };
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  const cpus = os.cpus;
  os.cpus = () => {
    const list = cpus.call(os);
    while (list.length < 2 * threads && list.length > 0) list.push(list[0]!);
    return list;
  };
  try {
    if (!(await tf.setBackend('wasm'))) throw new Error('the threaded wasm build did not start');
  } catch (error) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasm.setThreadsCount(1);
    throw error;
  } finally {
    os.cpus = cpus;
  }
}

/** The number of threads the wasm backend runs with (1 unless the threaded build started). */
export async function wasmThreadCount(): Promise<number> {
  const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as { getThreadsCount(): number };
  return wasm.getThreadsCount();
}

function patchWorker(source: string, mainScript: string): void {
  if (workerPatched) return;
  const Base = workerThreads.Worker;
  class PthreadAwareWorker extends Base {
    constructor(filename: string | URL, options?: WorkerThreads.WorkerOptions) {
      if (typeof filename === 'string' && filename.startsWith('blob:')) {
        super(source, { ...options, eval: true });
        pthreadWorkers.add(this);
      } else {
        super(filename, options);
      }
    }
    override postMessage(message: unknown, transferList?: readonly WorkerThreads.TransferListItem[]): void {
      const load = message as { cmd?: string; urlOrBlob?: unknown } | null;
      if (pthreadWorkers.has(this) && load?.cmd === 'load' && typeof load.urlOrBlob !== 'string') {
        message = { ...load, urlOrBlob: mainScript };
      }
      super.postMessage(message, transferList);
    }
    override ref(): void {
      if (pthreadWorkers.has(this)) super.unref();
      else super.ref();
    }
  }
  // The wasm glue (a CommonJS bundle) reads require('worker_threads').Worker when it starts threads.
  workerThreads.Worker = PthreadAwareWorker;
  workerPatched = true;
}
