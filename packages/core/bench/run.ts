/**
 * Performance workloads of @umd/core. Prints one JSON line per workload (median and p90 over timed runs, after
 * warm-up, with a read-back on every run so asynchronous backends are timed fully).
 *
 *   pnpm --filter @umd/core bench [--backend wasm] [--runs 10] [--only block-train,matmul-1024] [--profile]
 *                                 [--reference]   # also run the PyTorch reference script when python3+torch exist
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';

import { AdamW, Embedding, initRuntime, SeededRandom, TransformerBlock, valueAndGrads, type BackendName } from '../src/index.js';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    runs: { type: 'string', default: '10' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    reference: { type: 'boolean', default: false },
  },
});
const runs = Number(args.runs);
const only = args.only?.split(',');
const wanted = (name: string): boolean => !only || only.includes(name);

// Capture tfjs' own wasm matMul kernel before the runtime wraps it, to measure the fix in the same run.
await import('@tensorflow/tfjs-backend-wasm');
const stockMatMulKernel = tf.getKernel(tf.BatchMatMul, 'wasm');
const runtime = await initRuntime({ backend: args.backend as BackendName, onLog: (line) => console.error(line) });
const fixedMatMulKernel = tf.getKernel(tf.BatchMatMul, 'wasm');

function time(step: () => tf.Tensor | void, warmup = 2): { ms_median: number; ms_p90: number; runs: number } {
  for (let i = 0; i < warmup; i++) readBack(step());
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    readBack(step());
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (q: number): number => Number(times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(2));
  return { ms_median: at(0.5), ms_p90: at(0.9), runs };
}

function readBack(result: tf.Tensor | void): void {
  if (result) {
    result.dataSync();
    result.dispose();
  }
}

function emit(line: Record<string, unknown>): void {
  console.log(JSON.stringify({ ...line, backend: runtime.backend, tfjs: runtime.tfjsVersion }));
}

if (wanted('matmul-1024')) {
  const a = tf.randomNormal([1024, 1024]);
  const b = tf.randomNormal([1024, 1024]);
  for (const [transposeA, transposeB] of [[false, false], [false, true]] as const) {
    const t = time(() => tf.matMul(a, b, transposeA, transposeB));
    emit({ workload: transposeB ? 'matmul-1024-transposeB' : 'matmul-1024', ...t, gflops: +((2 * 1024 ** 3) / t.ms_median / 1e6).toFixed(2) });
  }
  tf.dispose([a, b]);
}

if (wanted('attention-matmul')) {
  // The attention shape of block-train: [B·H, T, Dh] x [B·H, Dh, T], B=16, H=4, T=Dh=64.
  const q = tf.randomNormal([16, 4, 64, 64]);
  const k = tf.randomNormal([16, 4, 64, 64]);
  const t = time(() => tf.matMul(q, k));
  emit({ workload: 'attention-matmul', shape: '[16,4,64,64]x[16,4,64,64]', ...t, gflops: +((2 * 64 * 64 ** 3) / t.ms_median / 1e6).toFixed(2) });
  tf.dispose([q, k]);
}

/** One pre-LN block, forward + backward + AdamW step; the reference workload. */
async function blockTrain(workload: string, options: { batch: number; seq: number; dim: number; heads: number; mlp: number }): Promise<void> {
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
  const t = time(step);
  emit({ workload, ...options, ...t, tensors: tf.memory().numTensors });
  if (args.profile) await profile(workload, step);
  optimizer.dispose();
  block.dispose();
  tf.dispose([x, target]);
}

/** Prints the ten kernels that take most of one step's time (tf.profile). */
async function profile(workload: string, step: () => tf.Tensor): Promise<void> {
  let result: tf.Tensor | undefined;
  const info = await tf.profile(() => {
    result = step();
    return result;
  });
  result?.dispose();
  {
    const byKernel = new Map<string, { ms: number; calls: number }>();
    for (const kernel of info.kernels) {
      const entry = byKernel.get(kernel.name) ?? { ms: 0, calls: 0 };
      entry.ms += Number(kernel.kernelTimeMs);
      entry.calls += 1;
      byKernel.set(kernel.name, entry);
    }
    const total = [...byKernel.values()].reduce((sum, entry) => sum + entry.ms, 0);
    const top = [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 10);
    for (const [name, entry] of top) {
      emit({ workload: `${workload}-profile`, kernel: name, ms: +entry.ms.toFixed(2), share: +(entry.ms / total).toFixed(3), calls: entry.calls });
    }
  }
}

const block = { batch: 16, seq: 64, dim: 256, heads: 4, mlp: 1024 };
if (wanted('block-train')) await blockTrain('block-train', block);
if (wanted('block-train-stock-matmul') && stockMatMulKernel && fixedMatMulKernel && runtime.backend === 'wasm') {
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel(stockMatMulKernel);
  await blockTrain('block-train-stock-matmul', block);
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel(fixedMatMulKernel);
}

if (wanted('embedding-train')) {
  // Embedding backward (scatter-add) over a BERT-sized vocabulary: batch 32 x 64 tokens, V 30522, D 256.
  const random = new SeededRandom(1);
  const embedding = new Embedding(30522, 256, random);
  const ids = tf.tensor2d(Int32Array.from({ length: 32 * 64 }, () => random.integer(30522)), [32, 64], 'int32');
  const t = time(() =>
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

if (args.reference) {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reference', 'block_train.py');
  for (const workload of ['block-train', 'matmul-1024']) {
    const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
    const result = spawnSync(python, [script, '--workload', workload], { encoding: 'utf8' });
    if (result.status === 0) process.stdout.write(result.stdout);
    else console.error(`[bench] PyTorch reference skipped (${workload}): ${(result.stderr || String(result.error)).trim().split('\n').pop()}`);
  }
}
