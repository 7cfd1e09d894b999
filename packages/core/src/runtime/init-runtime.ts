import * as tf from '@tensorflow/tfjs-core';

import { BackendUnavailableError } from '../errors/backend-unavailable-error.js';
import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { batchMatMulGradient } from './batch-mat-mul-gradient.js';
import { unsortedSegmentSumWasmKernel } from './unsorted-segment-sum-kernel.js';

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
  /** Where `UMD_BACKEND` is read from. Default: `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @internal test seam: replaces the dynamic import of optional packages. */
  readonly _internal?: { readonly importModule?: (specifier: string) => Promise<unknown> };
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
  /** `tf.version_core`. */
  readonly tfjsVersion: string;
}

const order: readonly ConcreteBackend[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
let current: RuntimeInfo | undefined;
let gradientsRegistered = false;

/**
 * Starts the tfjs runtime once per process: registers every gradient (tfjs-core alone registers none), installs the
 * training speed fixes (explicit-transpose matMul gradient; `UnsortedSegmentSum` on wasm so embeddings train),
 * selects the backend and reports the choice through `onLog`.
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
  const candidates = request === 'auto' ? order : [request];
  const attempts: { backend: string; reason: string }[] = [];
  for (const candidate of candidates) {
    try {
      const tfjsBackend = await startBackend(candidate, importModule);
      const fixes = installFixes(tfjsBackend);
      const reason =
        request === 'auto'
          ? `auto: ${attempts.length === 0 ? 'first choice' : attempts.map((a) => `${a.backend} unavailable`).join(', ')}`
          : `requested${options.backend ? '' : ' by UMD_BACKEND'}`;
      current = { backend: candidate, tfjsBackend, reason, attempts, fixes, tfjsVersion: tf.version_core };
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

async function startBackend(
  backend: ConcreteBackend,
  importModule: (specifier: string) => Promise<unknown>,
): Promise<string> {
  switch (backend) {
    case 'tensorflow-gpu':
    case 'tensorflow': {
      const specifier = backend === 'tensorflow' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu';
      try {
        await importModule(specifier);
      } catch (error) {
        throw new Error(`${specifier} could not be loaded (${firstLine(error)})`, { cause: error });
      }
      return activate('tensorflow');
    }
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      return activate('wasm');
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return activate('cpu');
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
    fixes.push('matMul gradient with explicit transposes');
    if (tf.getKernel(tf.UnsortedSegmentSum, 'wasm') === undefined) tf.registerKernel(unsortedSegmentSumWasmKernel);
    fixes.push('UnsortedSegmentSum kernel (embedding gradients)');
  }
  return fixes;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
