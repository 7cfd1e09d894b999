/**
 * Performance workloads of @umd/core. Prints one JSON line per workload (median and p90 over timed runs, after
 * warm-up, with a read-back on every run so asynchronous backends are timed fully).
 *
 *   pnpm --filter @umd/core bench [--backend wasm] [--runs 10] [--only block-train,matmul-1024] [--profile]
 *                                 [--reference]   # also run the PyTorch references (python3 + torch) and print ratios
 *                                 [--only mr-pretrain-tiny,mr-pretrain-small]   # the MR pre-training steps (see below)
 *                                 [--paths selected]   # only the path initRuntime selected (default: all, A/B)
 *
 * On wasm the matMul and block workloads run with each kernel set, interleaved run by run (A/B in one process, so a
 * machine shared with other jobs slows all variants alike). The unsuffixed workload is the path initRuntime selected;
 * `-fallback` is what a machine without the native addon gets (UMD_NATIVE_BLAS=0: plain-layout wasm matMul; Sum,
 * Slice/SplitV, Identity and the fused AdamW update on the heap in JavaScript); `-plain-wasm` has only the
 * plain-layout matMul fix (tfjs' own kernels otherwise, AdamW and LayerNorm op by op: UMD before the heap kernels);
 * `-unfused` is the selected path with LayerNorm, GELU and attention's softmax op by op (before their fused kernels); `-stock-matmul` (block-train only) is tfjs' own matMul
 * kernel everywhere (the 3.7 s baseline). `load` is the 1-minute load average when the workload ended.
 *
 * With --reference, `block-train` and `matmul-1024` are also run by bench/reference/block_train.py, and the MR
 * pre-training step of the `tiny` (batch 32) and `small` (batch 16) presets, `mr-pretrain-tiny` and `mr-pretrain-small`,
 * by packages/mr-pretrain/bench/run.ts (its own process) and bench/reference/mr_pretrain.py at the same batch; each
 * comparison ends with a `…-vs-pytorch` line holding `ratio` = tfjs ms / PyTorch ms. Without --reference the MR steps
 * run only when --only names them. The references run with $UMD_BENCH_PYTHON, else the first of `python3` on PATH
 * and /usr/bin/python3 that can import torch.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';

import { AdamW, Embedding, initRuntime, SeededRandom, TransformerBlock, valueAndGrads, type BackendName } from '../src/index.js';
import { geluKernelName } from '../src/nn/gelu-kernel.js';
import { maskedSoftmaxKernelName } from '../src/nn/masked-softmax-kernel.js';
import { layerNormKernelName, layerNormKernels } from '../src/nn/layer-norm-kernel.js';
import { adamWUpdateKernelName, adamWUpdateKernels } from '../src/optim/adamw-update-kernel.js';
import { heapGatherKernel } from '../src/runtime/heap-gather-kernel.js';
import { heapSliceKernels } from '../src/runtime/heap-slice-kernels.js';
import { plainLayoutMatMulKernel } from '../src/runtime/plain-layout-mat-mul-kernel.js';
import { sharedIdentityKernels } from '../src/runtime/shared-identity-kernels.js';
import { stridedSumKernel } from '../src/runtime/strided-sum-kernel.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    runs: { type: 'string', default: '10' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    reference: { type: 'boolean', default: false },
    paths: { type: 'string', default: 'all' },
  },
});
const runs = Number(args.runs);
const only = args.only?.split(',');
const wanted = (name: string): boolean => !only || only.includes(name);
const here = path.dirname(fileURLToPath(import.meta.url));

// Capture tfjs' own wasm kernels before the runtime wraps or replaces them, to measure every path in one run.
await import('@tensorflow/tfjs-backend-wasm');
const replaced = [
  tf.BatchMatMul,
  tf.Sum,
  tf.Slice,
  tf.SplitV,
  tf.Concat,
  tf.GatherV2,
  tf.Exp,
  tf.Erf,
  tf.Identity,
  tf.Cast,
  adamWUpdateKernelName,
  layerNormKernelName,
  geluKernelName,
];
const ours = new Set([adamWUpdateKernelName, layerNormKernelName, geluKernelName]); // no tfjs kernel of that name
const stock = new Map(replaced.map((name) => [name, tf.getKernel(name, 'wasm')]));
const runtime = await initRuntime({ backend: args.backend as BackendName, onLog: (line) => console.error(line) });

interface Variant {
  readonly suffix: string;
  /** The kernel each of {@link replaced} has while this variant runs (undefined: none registered). */
  readonly kernels: ReadonlyMap<string, tf.KernelConfig | undefined>;
}
const kernelsNow = (): Map<string, tf.KernelConfig | undefined> => new Map(replaced.map((name) => [name, tf.getKernel(name, runtime.tfjsBackend)]));
const selected: Variant = { suffix: '', kernels: kernelsNow() };
const variants: Variant[] = [selected];
const stockKernel = (name: string): tf.KernelConfig => stock.get(name)!;
const wasmReady = runtime.backend === 'wasm' && tf.getKernel(tf.Transpose, 'wasm') !== undefined && replaced.every((name) => ours.has(name) || stock.get(name));
/** tfjs' own kernels, with `changes` on top. */
const stockWith = (changes: readonly tf.KernelConfig[]): Map<string, tf.KernelConfig | undefined> => {
  const kernels = new Map(replaced.map((name) => [name, stock.get(name)]));
  for (const kernel of changes) kernels.set(kernel.kernelName, kernel);
  return kernels;
};
if (wasmReady && args.paths !== 'selected') {
  const plainMatMul = plainLayoutMatMulKernel(stockKernel(tf.BatchMatMul), tf.getKernel(tf.Transpose, 'wasm')!);
  if (runtime.matMul === 'native-blas') {
    const fallback = [
      plainMatMul,
      stridedSumKernel(stockKernel(tf.Sum)),
      ...heapSliceKernels({ slice: stockKernel(tf.Slice), splitV: stockKernel(tf.SplitV), concat: stockKernel(tf.Concat) }),
      heapGatherKernel(stockKernel(tf.GatherV2)),
      ...sharedIdentityKernels({ identity: stockKernel(tf.Identity), cast: stockKernel(tf.Cast) }),
      ...adamWUpdateKernels().filter((kernel) => kernel.backendName === 'wasm'),
      ...layerNormKernels().filter((kernel) => kernel.kernelName === layerNormKernelName && kernel.backendName === 'wasm'),
    ];
    variants.push({ suffix: '-fallback', kernels: stockWith(fallback) });
  }
  variants.push({ suffix: '-plain-wasm', kernels: stockWith([plainMatMul]) });
  variants.push({
    suffix: '-unfused',
    kernels: new Map([...selected.kernels, [layerNormKernelName, undefined], [geluKernelName, undefined], [maskedSoftmaxKernelName, undefined]]),
  });
}
const stockVariant: Variant = { suffix: '-stock-matmul', kernels: stockWith([]) };

function useVariant(variant: Variant): void {
  for (const [name, kernel] of variant.kernels) {
    const current = tf.getKernel(name, runtime.tfjsBackend);
    if (current === kernel) continue;
    if (current) tf.unregisterKernel(name, runtime.tfjsBackend);
    if (kernel) tf.registerKernel(kernel);
  }
}

interface Timing {
  ms_median: number;
  ms_p90: number;
  /** Median CPU time of the whole process (every thread) per run: insensitive to other jobs on the machine. */
  cpu_ms_median: number;
  runs: number;
}

/** Times `step` under each variant, interleaved run by run after `warmup` runs of each. */
function timeVariants(list: readonly Variant[], step: () => tf.Tensor | void, warmup = 2): Timing[] {
  const times: number[][] = list.map(() => []);
  const cpuTimes: number[][] = list.map(() => []);
  for (let i = 0; i < warmup; i++) {
    for (const variant of list) {
      useVariant(variant);
      readBack(step());
    }
  }
  for (let i = 0; i < runs; i++) {
    list.forEach((variant, v) => {
      useVariant(variant);
      const cpu = process.cpuUsage();
      const start = performance.now();
      readBack(step());
      times[v]!.push(performance.now() - start);
      const used = process.cpuUsage(cpu);
      cpuTimes[v]!.push((used.user + used.system) / 1000);
    });
  }
  useVariant(selected);
  const quantile = (values: number[], q: number): number => {
    const sorted = [...values].sort((a, b) => a - b);
    return Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2));
  };
  return times.map((wall, v) => ({ ms_median: quantile(wall, 0.5), ms_p90: quantile(wall, 0.9), cpu_ms_median: quantile(cpuTimes[v]!, 0.5), runs }));
}

function readBack(result: tf.Tensor | void): void {
  if (result) {
    result.dataSync();
    result.dispose();
  }
}

function emit(line: Record<string, unknown>): void {
  const matMul = runtime.matMul === undefined ? {} : { matmul: runtime.matMul };
  console.log(
    JSON.stringify({ backend: runtime.backend, threads: runtime.threads, ...matMul, ...line, tfjs: runtime.tfjsVersion, load: +os.loadavg()[0]!.toFixed(2) }),
  );
}

const gflops = (flops: number, ms: number): number => +(flops / ms / 1e6).toFixed(2);

if (wanted('matmul-1024')) {
  const a = tf.randomNormal([1024, 1024]);
  const b = tf.randomNormal([1024, 1024]);
  for (const [transposeA, transposeB] of [
    [false, false],
    [false, true],
  ] as const) {
    const timings = timeVariants(variants, () => tf.matMul(a, b, transposeA, transposeB));
    timings.forEach((t, v) => {
      const workload = `${transposeB ? 'matmul-1024-transposeB' : 'matmul-1024'}${variants[v]!.suffix}`;
      emit({ workload, ...matMulField(v), ...t, gflops: gflops(2 * 1024 ** 3, t.ms_median) });
    });
  }
  tf.dispose([a, b]);
}

if (wanted('attention-matmul')) {
  // The attention shape of block-train: [B, H, T, Dh] x [B, H, Dh, T], B=16, H=4, T=Dh=64.
  const q = tf.randomNormal([16, 4, 64, 64]);
  const k = tf.randomNormal([16, 4, 64, 64]);
  const timings = timeVariants(variants, () => tf.matMul(q, k));
  timings.forEach((t, v) => {
    emit({
      workload: `attention-matmul${variants[v]!.suffix}`,
      ...matMulField(v),
      shape: '[16,4,64,64]x[16,4,64,64]',
      ...t,
      gflops: gflops(2 * 64 * 64 ** 3, t.ms_median),
    });
  });
  tf.dispose([q, k]);
}

function matMulField(v: number): Record<string, string> {
  if (runtime.matMul === undefined) return {};
  return { matmul: v === 0 ? runtime.matMul : 'wasm' };
}

/** Multiply-adds ×2 of one pre-LN block training step: forward matMuls, and twice that for the backward. */
function blockFlops(o: { batch: number; seq: number; dim: number; mlp: number }): number {
  const tokens = o.batch * o.seq;
  const linear = 2 * tokens * (o.dim * 3 * o.dim + o.dim * o.dim + 2 * o.dim * o.mlp);
  const attention = 2 * 2 * o.batch * o.seq * o.seq * o.dim;
  return 3 * (linear + attention);
}

/** One pre-LN block, forward + backward + AdamW step; the reference workload. */
async function blockTrain(
  workload: string,
  list: readonly Variant[],
  options: { batch: number; seq: number; dim: number; heads: number; mlp: number },
): Promise<number | undefined> {
  const random = new SeededRandom(0);
  const block = new TransformerBlock({ dim: options.dim, heads: options.heads, mlpDim: options.mlp }, random);
  const optimizer = new AdamW(block.parameters(), { learningRate: 1e-4, weightDecay: 0.01 });
  const x = tf.tensor(random.normalArray(options.batch * options.seq * options.dim), [options.batch, options.seq, options.dim]);
  const target = tf.tensor(random.normalArray(x.size), x.shape);
  const step = (): tf.Tensor =>
    tf.tidy(() => {
      const { value, grads } = valueAndGrads(() => tf.mean(tf.squaredDifference(block.forward(x), target)), block.parameters());
      optimizer.applyGradients(grads);
      return value;
    });
  const timings = timeVariants(list, step);
  timings.forEach((t, v) => {
    emit({
      workload: `${workload}${list[v]!.suffix}`,
      ...matMulField(list[v] === selected ? 0 : 1),
      ...options,
      ...t,
      gflops: gflops(blockFlops(options), t.ms_median),
      tensors: tf.memory().numTensors,
    });
  });
  if (args.profile) {
    for (const variant of list) {
      useVariant(variant);
      await profile(`${workload}${variant.suffix}`, step);
    }
    useVariant(selected);
  }
  optimizer.dispose();
  block.dispose();
  tf.dispose([x, target]);
  return timings[0]?.ms_median;
}

/**
 * Prints the ten kernels that take most of a step's time (tf.profile, per step, summed over 3 steps to smooth out a
 * shared machine), and the number of kernels one step runs.
 */
async function profile(workload: string, step: () => tf.Tensor, steps = 3): Promise<void> {
  const byKernel = new Map<string, { ms: number; calls: number }>();
  let kernels = 0;
  for (let i = 0; i < steps; i++) {
    let result: tf.Tensor | undefined;
    const info = await tf.profile(() => {
      result = step();
      return result;
    });
    result?.dispose();
    kernels = info.kernels.length;
    for (const kernel of info.kernels) {
      const entry = byKernel.get(kernel.name) ?? { ms: 0, calls: 0 };
      entry.ms += Number(kernel.kernelTimeMs) / steps;
      entry.calls += 1 / steps;
      byKernel.set(kernel.name, entry);
    }
  }
  const total = [...byKernel.values()].reduce((sum, entry) => sum + entry.ms, 0);
  emit({ workload: `${workload}-profile`, kernel: '(all)', ms: +total.toFixed(2), calls: kernels });
  const top = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 10);
  for (const [name, entry] of top) {
    emit({ workload: `${workload}-profile`, kernel: name, ms: +entry.ms.toFixed(2), share: +(entry.ms / total).toFixed(3), calls: Math.round(entry.calls) });
  }
}

const block = { batch: 16, seq: 64, dim: 256, heads: 4, mlp: 1024 };
const tfjsMs: Record<string, number | undefined> = {};
if (wanted('block-train')) tfjsMs['block-train'] = await blockTrain('block-train', variants, block);
if (wanted('block-train-stock-matmul') && wasmReady && args.paths !== 'selected') await blockTrain('block-train', [stockVariant], block);

if (wanted('embedding-train')) {
  // Embedding backward (scatter-add) over a BERT-sized vocabulary: batch 32 x 64 tokens, V 30522, D 256.
  const random = new SeededRandom(1);
  const embedding = new Embedding(30522, 256, random);
  const ids = tf.tensor2d(
    Int32Array.from({ length: 32 * 64 }, () => random.integer(30522)),
    [32, 64],
    'int32',
  );
  const [t] = timeVariants([variants[0]!], () =>
    tf.tidy(() => {
      const { value, grads } = valueAndGrads(() => tf.mean(tf.square(embedding.forward(ids))), embedding.parameters());
      tf.dispose(grads);
      return value;
    }),
  );
  emit({ workload: 'embedding-train', vocab: 30522, dim: 256, tokens: 32 * 64, ...t });
  embedding.dispose();
  ids.dispose();
}

/** Where the PyTorch references can run: `python` imports torch (version `torch`); `tried` lists every candidate. */
interface PythonChoice {
  readonly python?: string;
  readonly torch?: string;
  readonly tried: readonly string[];
}
let pythonChoice: PythonChoice | undefined;

/**
 * The Python of the PyTorch references: `UMD_BENCH_PYTHON` when set, otherwise the first of `python3` on PATH and
 * /usr/bin/python3 that can import torch (a distribution's python3 may lack it while a pyenv or venv one has it).
 * Checked once per bench run, by importing torch in each candidate.
 */
function referencePython(): PythonChoice {
  if (pythonChoice) return pythonChoice;
  const override = process.env['UMD_BENCH_PYTHON'];
  const candidates = override ? [override] : ['python3', '/usr/bin/python3'];
  const tried: string[] = [];
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    const version = probe.status === 0 ? probe.stdout.trim().split('\n').pop() : undefined;
    if (version) {
      pythonChoice = { python: candidate, torch: version, tried };
      console.error(`[bench] PyTorch references run with ${candidate} (torch ${version})`);
      return pythonChoice;
    }
    const why = probe.error ? String(probe.error) : (probe.stderr.trim().split('\n').pop() ?? `exit ${probe.status}`);
    tried.push(`${candidate}${override ? ' (UMD_BENCH_PYTHON)' : ''}: ${why}`);
  }
  pythonChoice = { tried };
  console.error(`[bench] PyTorch references skipped: no Python that can import torch (tried ${tried.join('; ')}); set UMD_BENCH_PYTHON to a Python with torch`);
  return pythonChoice;
}

/** Runs bench/reference/`script` and returns its last JSON line (also printed), or undefined when it cannot run. */
function pytorch(script: string, extra: readonly string[]): Record<string, unknown> | undefined {
  const { python, torch } = referencePython();
  if (!python) return undefined;
  const result = spawnSync(python, [path.join(here, 'reference', script), ...extra], { encoding: 'utf8' });
  if (result.status !== 0) {
    console.error(
      `[bench] PyTorch reference skipped (${python} ${script} ${extra.join(' ')}): ${(result.stderr || String(result.error)).trim().split('\n').pop()}`,
    );
    return undefined;
  }
  const line = JSON.parse(result.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  console.log(JSON.stringify({ ...line, torch: line['torch'] ?? torch }));
  return line;
}

/** Prints `<workload>-vs-pytorch` with `ratio` = tfjs ms / PyTorch ms, when both ran. */
function compare(workload: string, tfjs: number | undefined, reference: Record<string, unknown> | undefined): void {
  const torchMs = reference?.['ms_median'];
  if (tfjs === undefined || typeof torchMs !== 'number') return;
  emit({ workload: `${workload}-vs-pytorch`, tfjs_ms: tfjs, pytorch_ms: torchMs, ratio: +(tfjs / torchMs).toFixed(2) });
}

/** The batch of each preset's MR pre-training step, the same for tfjs and PyTorch (small: a 2-core CPU's worth). */
const mrPretrainBatch = { tiny: 32, small: 16 } as const;

/**
 * `mr-pretrain-<preset>`: one MR pre-training step (config `full`) by packages/mr-pretrain/bench/run.ts in its own
 * process (@umd/mr-pretrain sits above core), printed as this workload; with --reference also by
 * bench/reference/mr_pretrain.py at the same preset and batch, and the ratio.
 */
function mrPretrainWorkload(preset: keyof typeof mrPretrainBatch): void {
  const workload = `mr-pretrain-${preset}`;
  const batch = String(mrPretrainBatch[preset]);
  const script = path.resolve(here, '../../mr-pretrain/bench/run.ts');
  let tfjs: number | undefined;
  if (existsSync(script)) {
    const result = spawnSync(
      process.execPath,
      [...process.execArgv, script, '--preset', preset, '--config', 'full', '--batch', batch, '--runs', String(Math.min(runs, 5))],
      {
        cwd: path.dirname(path.dirname(script)),
        encoding: 'utf8',
        env: { ...process.env, UMD_BACKEND: args.backend },
      },
    );
    const line = result.stdout
      .trim()
      .split('\n')
      .filter((text) => text.startsWith('{"workload":"mr-pretrain-step"'))
      .pop();
    if (result.status === 0 && line) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      console.log(JSON.stringify({ ...parsed, workload, load: +os.loadavg()[0]!.toFixed(2) }));
      tfjs = typeof parsed['ms_median'] === 'number' ? parsed['ms_median'] : undefined;
    } else {
      console.error(`[bench] ${workload} skipped: ${(result.stderr || String(result.error)).trim().split('\n').pop()}`);
    }
  }
  if (args.reference) compare(workload, tfjs, pytorch('mr_pretrain.py', ['--preset', preset, '--batch', batch, '--runs', String(runs)]));
}

if (args.reference) {
  if (wanted('block-train')) compare('block-train', tfjsMs['block-train'], pytorch('block_train.py', ['--workload', 'block-train']));
  if (wanted('matmul-1024')) pytorch('block_train.py', ['--workload', 'matmul-1024']);
}
// The MR steps take seconds to minutes: they run with --reference, or when --only names them.
for (const preset of ['tiny', 'small'] as const) {
  const workload = `mr-pretrain-${preset}`;
  if (args.reference ? wanted(workload) : only?.includes(workload)) mrPretrainWorkload(preset);
}
