/**
 * Does GM-Coord matter? A two-modality toy where one modality is much easier, trained with and without OGM-GE.
 *
 *   pnpm --filter @umd/gm-coord demo                 # 5 seeds × 3 arms, about 70 s on 2 cores (tfjs cpu)
 *   pnpm --filter @umd/gm-coord demo --seeds 10 --alpha 0.5 --json gm-coord-demo.json   # results + a coefficient trace
 *
 * Data (K = 4 classes, seeded, class-balanced in expectation): modality `a` (32 features) is easy: its first K
 * features carry 3 · (e_y − 1/K) and every feature has N(0, 1) noise, so a linear read-out gets ~95%. Modality `b`
 * (64 features) is hard: class means μ_y ~ N(0, 0.25²) per feature (centred over classes) plus N(0, 1) noise, so
 * its signal is spread thinly over many features and is learnt slowly. `--corrupt p` replaces `a` by pure noise on a
 * fraction p of samples (default 0).
 *
 * Model: late fusion. Two encoders (`--encoder mlp`: one ReLU layer, 32 → 4 and 64 → 4; `--encoder linear`: the
 * same without bias and ReLU) → pooled = concat([a features; b features]) [B, 8] → linear head → K logits. Plain tfjs
 * SGD with momentum 0.9, lr 0.005, batch 64, 16 epochs over 3,000 samples. Same data, initial weights and batch
 * order for every arm of a seed (a paired comparison).
 *
 * Arms: baseline; GM-Coord OGM-GE (α = 1, GE noise on, k from `unimodalSignals` of `unimodalLogits` every step,
 * modulating during the first 8 epochs only, as OGM-GE's `modulation_ends` does); and a reference where `a` is zeroed
 * during training ("b trained alone"): what `b` can learn in this budget when nothing competes with it.
 *
 * Unimodal accuracy: the head applied with the other modality's half of the pooled feature zeroed
 * (`unimodalLogits`), on 2,000 held-out samples. Also reported: a linear probe on the frozen `b` encoder's features,
 * which measures what the weak encoder learnt independently of how the head weights it.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers'; // registers the gradients that tfjs-core's Node bundle lacks
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { CoefficientTrace, createCoordinator, type StrategyConfig } from '@umd/gm-coord';
import { gradientNormSignals, modulateGradients, unimodalLogits, unimodalSignals } from '@umd/gm-coord/tfjs';

const { values: flags } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'), // `pnpm demo -- --seeds 3` passes the `--` through
  options: {
    seeds: { type: 'string', default: '5' },
    epochs: { type: 'string', default: '16' },
    alpha: { type: 'string', default: '1' },
    lr: { type: 'string', default: '0.005' },
    /** Comma-separated arms besides the baseline: a strategy kind (`ogm-ge`, `agm`, …; `ogm-ge:nonoise` for OGM), or `b-alone`. */
    strategies: { type: 'string', default: 'b-alone,ogm-ge' },
    /** Updates with epoch ≥ this are not modulated (OGM-GE's modulation_ends). */
    'stop-epoch': { type: 'string', default: '8' },
    ema: { type: 'string', default: '0' },
    encoder: { type: 'string', default: 'mlp' },
    hidden: { type: 'string', default: '4' },
    da: { type: 'string', default: '32' },
    db: { type: 'string', default: '64' },
    'a-scale': { type: 'string', default: '3' },
    'b-scale': { type: 'string', default: '0.25' },
    corrupt: { type: 'string', default: '0' },
    'train-size': { type: 'string', default: '3000' },
    json: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

const K = 4;
const dims = { a: Number(flags.da), b: Number(flags.db) } as const;
const hidden = Number(flags.hidden);
const trainSize = Number(flags['train-size']);
const testSize = 2000;
const batchSize = 64;
const corruptFraction = Number(flags.corrupt);
const aScale = Number(flags['a-scale']);
const bScale = Number(flags['b-scale']);
const epochs = Number(flags.epochs);
const alpha = Number(flags.alpha);
const learningRate = Number(flags.lr);
const segments = [
  { modality: 'a', width: hidden },
  { modality: 'b', width: hidden },
];
const groups = { a: 'a.', b: 'b.' };

// ---- data ----------------------------------------------------------------------------------------------------

/** mulberry32: a tiny seeded generator for the data (tfjs ops get their own integer seeds). */
function generator(seed: number): { uniform: () => number; normal: () => number } {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

interface Split {
  readonly a: tf.Tensor2D; // [N, 8]
  readonly b: tf.Tensor2D; // [N, 32]
  readonly y: tf.Tensor1D; // [N] int32 class indices
}

function makeData(seed: number): { train: Split; test: Split } {
  const random = generator(seed);
  const raw = Array.from({ length: K }, () => Array.from({ length: dims.b }, () => bScale * random.normal()));
  // Centre the class means so that an all-zero feature is the average input (zeroing a modality is then neutral-ish).
  const means = raw.map((mean) => mean.map((value, j) => value - raw.reduce((sum, other) => sum + (other[j] ?? 0), 0) / K));
  const split = (n: number): Split => {
    const a = new Float32Array(n * dims.a);
    const b = new Float32Array(n * dims.b);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const label = Math.floor(random.uniform() * K);
      y[i] = label;
      const corrupt = random.uniform() < corruptFraction;
      for (let j = 0; j < dims.a; j++) a[i * dims.a + j] = (!corrupt && j < K ? aScale * ((j === label ? 1 : 0) - 1 / K) : 0) + random.normal();
      for (let j = 0; j < dims.b; j++) b[i * dims.b + j] = (means[label]?.[j] ?? 0) + random.normal();
    }
    return { a: tf.tensor2d(a, [n, dims.a]), b: tf.tensor2d(b, [n, dims.b]), y: tf.tensor1d(y, 'int32') };
  };
  return { train: split(trainSize), test: split(testSize) };
}

// ---- model ---------------------------------------------------------------------------------------------------

type Params = Record<'a.w' | 'a.b' | 'b.w' | 'b.b' | 'head.w' | 'head.b', tf.Variable>;

function initParams(seed: number): Params {
  const glorot = (fanIn: number, fanOut: number, s: number): tf.Tensor => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return tf.randomUniform([fanIn, fanOut], -limit, limit, 'float32', s);
  };
  // tidy frees the initial values (a variable keeps its own reference to the data).
  const v = (name: keyof Params, init: () => tf.Tensor): tf.Variable => tf.tidy(() => tf.variable(init(), true, name));
  return {
    'a.w': v('a.w', () => glorot(dims.a, hidden, seed * 10 + 1)),
    'a.b': v('a.b', () => tf.zeros([hidden])),
    'b.w': v('b.w', () => glorot(dims.b, hidden, seed * 10 + 2)),
    'b.b': v('b.b', () => tf.zeros([hidden])),
    'head.w': v('head.w', () => glorot(2 * hidden, K, seed * 10 + 3)),
    'head.b': v('head.b', () => tf.zeros([K])),
  };
}

const encode = (x: tf.Tensor2D, bias: tf.Variable): tf.Tensor2D => (flags.encoder === 'linear' ? x : (tf.relu(tf.add(x, bias)) as tf.Tensor2D));

/** pooled [B, 2·hidden] = concat([a features; b features]) */
function pooled(p: Params, a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const ha = encode(tf.matMul(a, p['a.w']), p['a.b']); // [B, hidden]
  const hb = encode(tf.matMul(b, p['b.w']), p['b.b']); // [B, hidden]
  return tf.concat([ha, hb], 1);
}

const headOf =
  (p: Params) =>
  (features: tf.Tensor2D): tf.Tensor2D =>
    tf.add(tf.matMul(features, p['head.w']), p['head.b']) as tf.Tensor2D;

// ---- training and evaluation ---------------------------------------------------------------------------------

interface RunResult {
  readonly fused: number;
  readonly aOnly: number;
  readonly bOnly: number;
  readonly bProbe: number;
  readonly meanCoefficient: { readonly a: number; readonly b: number };
}

async function accuracy(logits: tf.Tensor2D, y: tf.Tensor1D): Promise<number> {
  const hits = tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32')));
  const [value] = await hits.data();
  hits.dispose();
  return value ?? Number.NaN;
}

/** Softmax regression on frozen `b` features (train split), scored on the test split. */
async function probe(p: Params, data: { train: Split; test: Split }, seed: number): Promise<number> {
  const features = (s: Split): tf.Tensor2D => tf.tidy(() => encode(tf.matMul(s.b, p['b.w']), p['b.b']));
  const [train, test] = [features(data.train), features(data.test)];
  const w = tf.tidy(() => tf.variable(tf.zeros([hidden, K]), true, `probe.w.${seed}`));
  const bias = tf.tidy(() => tf.variable(tf.zeros([K]), true, `probe.b.${seed}`));
  const optimizer = tf.train.adam(0.05);
  const targets = tf.oneHot(data.train.y, K);
  for (let i = 0; i < 300; i++) {
    tf.tidy(() => {
      optimizer.minimize(() => tf.losses.softmaxCrossEntropy(targets, tf.add(tf.matMul(train, w), bias)) as tf.Scalar);
    });
  }
  const logits = tf.tidy(() => tf.add(tf.matMul(test, w), bias) as tf.Tensor2D);
  const result = await accuracy(logits, data.test.y);
  tf.dispose([train, test, w, bias, targets, logits]);
  optimizer.dispose();
  return result;
}

async function run(seed: number, strategy: StrategyConfig | null, trace?: CoefficientTrace, bAlone = false): Promise<RunResult> {
  const data = makeData(seed);
  const p = initParams(seed);
  const head = headOf(p);
  const optimizer: tf.Optimizer = tf.train.momentum(learningRate, 0.9);
  const coordinator = strategy && createCoordinator({ modalities: ['a', 'b'], strategy, emaDecay: Number(flags.ema), stopStep: Number(flags['stop-epoch']) });
  const shuffle = generator(seed + 1000);
  const sums = { a: 0, b: 0, n: 0 };
  for (let epoch = 0; epoch < epochs; epoch++) {
    // Seeded Fisher–Yates (tf.util.shuffle uses Math.random): every arm of a seed sees the same batches.
    const order = Uint32Array.from({ length: trainSize }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(shuffle.uniform() * (i + 1));
      [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
    }
    for (let start = 0; start + batchSize <= trainSize; start += batchSize) {
      const index = tf.tensor1d(Array.from(order.subarray(start, start + batchSize)), 'int32');
      const [a, b, y] = tf.tidy(() => [tf.gather(data.train.a, index), tf.gather(data.train.b, index), tf.gather(data.train.y, index)]) as [
        tf.Tensor2D,
        tf.Tensor2D,
        tf.Tensor1D,
      ];
      const aIn = bAlone ? (tf.zerosLike(a) as tf.Tensor2D) : a; // b-alone reference: `a` never carries information
      const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(tf.oneHot(y, K), head(pooled(p, aIn, b))) as tf.Scalar);
      if (bAlone) aIn.dispose();
      let update = grads;
      if (coordinator) {
        const logits = tf.tidy(() => unimodalLogits(head, pooled(p, a, b), segments));
        const signals = coordinator.strategy.signal === 'gradientNorm' ? await gradientNormSignals(grads, groups) : await unimodalSignals(logits, y);
        const coordination = coordinator.update(signals, { step: epoch });
        trace?.record(coordination);
        sums.a += coordination.coefficients.a ?? 1;
        sums.b += coordination.coefficients.b ?? 1;
        sums.n += 1;
        update = modulateGradients(grads, coordination, { groups, seed });
        tf.dispose([logits, grads]);
      }
      optimizer.applyGradients(update);
      tf.dispose([index, a, b, y, value, update]);
    }
  }
  const test = data.test;
  const fusedLogits = tf.tidy(() => head(pooled(p, test.a, test.b)));
  const uni = tf.tidy(() => unimodalLogits(head, pooled(p, test.a, test.b), segments));
  const result: RunResult = {
    fused: await accuracy(fusedLogits, test.y),
    aOnly: await accuracy(uni.a as tf.Tensor2D, test.y),
    bOnly: await accuracy(uni.b as tf.Tensor2D, test.y),
    bProbe: await probe(p, data, seed),
    meanCoefficient: { a: sums.n ? sums.a / sums.n : 1, b: sums.n ? sums.b / sums.n : 1 },
  };
  tf.dispose([fusedLogits, uni, ...Object.values(data.train), ...Object.values(data.test), ...Object.values(p)]);
  optimizer.dispose();
  return result;
}

// ---- main ----------------------------------------------------------------------------------------------------

function meanStd(xs: readonly number[]): string {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(1, xs.length - 1));
  return `${(100 * mean).toFixed(1)} ± ${(100 * std).toFixed(1)}`;
}

await tf.setBackend('cpu');
const seeds = Array.from({ length: Number(flags.seeds) }, (_, i) => i);
const arms: { name: string; strategy: StrategyConfig | null; bAlone?: boolean }[] = [{ name: 'baseline (no GM-Coord)', strategy: null }];
for (const kind of (flags.strategies ?? '').split(',').filter(Boolean)) {
  if (kind === 'b-alone') {
    arms.push({ name: 'reference: b trained alone', strategy: null, bAlone: true });
    continue;
  }
  const [k, variant] = kind.split(':');
  const noise = variant === 'nonoise' ? { noise: false } : variant === 'noise' ? { noise: true } : {};
  arms.push({ name: `GM-Coord ${kind} α=${alpha}`, strategy: { kind: k, alpha, ...noise } as StrategyConfig });
}
const started = performance.now();
const results: Record<string, RunResult[]> = {};
const traces: Record<string, unknown> = {};
for (const seed of seeds) {
  for (const arm of arms) {
    const trace = arm.strategy && seed === 0 ? new CoefficientTrace(['a', 'b'], { every: 10 }) : undefined;
    const result = await run(seed, arm.strategy, trace, arm.bAlone);
    (results[arm.name] ??= []).push(result);
    if (trace) traces[arm.name] = trace.toJSON();
    if (!flags.quiet) {
      console.log(
        `seed ${seed} | ${arm.name.padEnd(28)} | fused ${(100 * result.fused).toFixed(1)} | a-only ${(100 * result.aOnly).toFixed(1)} | ` +
          `b-only ${(100 * result.bOnly).toFixed(1)} | b-probe ${(100 * result.bProbe).toFixed(1)} | ` +
          `mean k a ${result.meanCoefficient.a.toFixed(2)} b ${result.meanCoefficient.b.toFixed(2)}`,
      );
    }
  }
}
const seconds = (performance.now() - started) / 1000;

console.log(
  `\n${seeds.length} seeds, ${flags.encoder} encoders, ${epochs} epochs, SGD momentum 0.9 lr ${learningRate}, batch ${batchSize}; ` +
    `held-out accuracy %, mean ± std over seeds\n`,
);
console.log('| arm | fused (a+b) | a only (zero b) | b only (zero a) | b encoder linear probe | mean k_a | mean k_b |');
console.log('|---|---|---|---|---|---|---|');
for (const arm of arms) {
  const rs = results[arm.name] ?? [];
  const k = (m: 'a' | 'b'): string => (rs.reduce((s, r) => s + r.meanCoefficient[m], 0) / rs.length).toFixed(2);
  console.log(
    `| ${[arm.name, ...(['fused', 'aOnly', 'bOnly', 'bProbe'] as const).map((key) => meanStd(rs.map((r) => r[key]))), k('a'), k('b')].join(' | ')} |`,
  );
}
const baseline = results[arms[0]?.name ?? ''] ?? [];
for (const arm of arms.slice(1)) {
  const rs = results[arm.name] ?? [];
  const diff = (pick: (r: RunResult) => number): string => meanStd(rs.map((r, i) => pick(r) - pick(baseline[i] as RunResult)));
  const wins = rs.filter((r, i) => r.bOnly > (baseline[i]?.bOnly ?? 1)).length;
  console.log(
    `\n${arm.name} − baseline, paired by seed: b-only ${diff((r) => r.bOnly)} points (higher in ${wins}/${rs.length} seeds), ` +
      `fused ${diff((r) => r.fused)}, a-only ${diff((r) => r.aOnly)}, b-probe ${diff((r) => r.bProbe)}`,
  );
}
// Expect one live tensor per run: tfjs's MomentumOptimizer keeps its momentum scalar after dispose() (tensorflow/tfjs#4647).
console.log(`\n${seconds.toFixed(0)} s; tfjs ${tf.version_core} backend ${tf.getBackend()}; tensors alive ${tf.memory().numTensors}`);
if (flags.json) writeFileSync(flags.json, JSON.stringify({ flags, results, traces }, null, 1));
