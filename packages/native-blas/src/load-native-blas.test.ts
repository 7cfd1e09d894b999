import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { ensureNativeBlasAddon, nativeBlasCacheFolder } from './build-addon.js';
import { NativeBlasUnavailableError } from './errors/native-blas-unavailable-error.js';
import { loadNativeBlas } from './load-native-blas.js';
import type { NativeBlas } from './native-blas.js';

/** The BLAS of this machine, or why there is none (the tests that need it skip, saying so). */
function tryLoad(): NativeBlas | string {
  try {
    return loadNativeBlas({ env: {} });
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0]! : String(error);
  }
}
const loaded = tryLoad();
const blas = typeof loaded === 'string' ? undefined : loaded;
/** Appended to the titles of the blocks that need a BLAS: why they are skipped on this machine. */
const skipped = blas ? '' : ` (skipped: no native BLAS here: ${loaded as string})`;

/** Deterministic values in [-1, 1). */
function fill(values: Float32Array, seed: number): void {
  let state = seed;
  for (let i = 0; i < values.length; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    values[i] = state / 1073741824 - 1;
  }
}

/** Row-major op(A)·op(B) in float64. */
function reference(a: Float32Array, b: Float32Array, m: number, n: number, k: number, transposeA: boolean, transposeB: boolean): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[transposeA ? p * m + i : i * k + p]! * b[transposeB ? j * k + p : p * n + j]!;
      out[i * n + j] = sum;
    }
  }
  return out;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (1 + Math.abs(expected[i]!)));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

describe('loadNativeBlas', () => {
  it('is disabled by UMD_NATIVE_BLAS=0', () => {
    expect(() => loadNativeBlas({ env: { UMD_NATIVE_BLAS: '0' } })).toThrow(NativeBlasUnavailableError);
    try {
      loadNativeBlas({ env: { UMD_NATIVE_BLAS: '0' } });
    } catch (error) {
      expect((error as NativeBlasUnavailableError).reason).toBe('disabled');
    }
  });

  it('says how to find out why when the addon is missing', () => {
    const attempt = (): unknown => loadNativeBlas({ env: {}, _internal: { addonPath: '/nonexistent/umd_blas.node' } });
    expect(attempt).toThrow(/not built.*build-addon\.mjs/s);
    try {
      attempt();
    } catch (error) {
      expect(error).toBeInstanceOf(NativeBlasUnavailableError);
      expect((error as NativeBlasUnavailableError).reason).toBe('not-built');
    }
  });
});

describe('the addon compiled on first use (no install script)', () => {
  const caches: string[] = [];
  const freshCache = (): string => {
    const folder = mkdtempSync(path.join(tmpdir(), 'umd-native-blas-'));
    caches.push(folder);
    return folder;
  };
  afterAll(() => caches.forEach((folder) => rmSync(folder, { recursive: true, force: true })));

  it('keeps compiled addons in the per-user cache of @umd/*', () => {
    expect(nativeBlasCacheFolder({ UMD_CACHE_DIR: '/c' })).toBe('/c/native-blas');
    expect(nativeBlasCacheFolder({ XDG_CACHE_HOME: '/x' })).toBe('/x/umd/native-blas');
    expect(nativeBlasCacheFolder({})).toMatch(/\.cache\/umd\/native-blas$/);
  });

  it('says which compiler it could not find, and loading falls back with reason not-built', () => {
    const env = { UMD_CACHE_DIR: freshCache(), CC: '/nonexistent/cc' };
    expect(() => ensureNativeBlasAddon({ env })).toThrow(/no C compiler \(tried \/nonexistent\/cc/);
    try {
      loadNativeBlas({ env });
      expect.unreachable('no compiler, no addon');
    } catch (error) {
      expect(error).toBeInstanceOf(NativeBlasUnavailableError);
      expect((error as NativeBlasUnavailableError).reason).toBe('not-built');
    }
  });

  const compiler = ['cc', 'gcc', 'clang'].find((cc) => spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0);
  it.skipIf(!compiler)(`compiles once into an empty cache and reuses it${compiler ? '' : ' (skipped: no C compiler here)'}`, () => {
    const env = { UMD_CACHE_DIR: freshCache() };
    const first = ensureNativeBlasAddon({ env });
    expect(first.compiledInMs).toBeGreaterThan(0);
    expect(first.path.startsWith(path.join(env.UMD_CACHE_DIR, 'native-blas', `${process.platform}-${process.arch}-`))).toBe(true);
    const built = statSync(first.path).mtimeMs;
    const again = ensureNativeBlasAddon({ env });
    expect(again).toEqual({ path: first.path, compiledInMs: undefined });
    expect(statSync(first.path).mtimeMs).toBe(built);
    if (blas) {
      const opened = loadNativeBlas({ env });
      expect(opened.addonPath).toBe(first.path);
      expect(opened.compiledInMs).toBeUndefined();
    }
  });
});

describe.skipIf(!blas)(`loadNativeBlas with the addon built${skipped}`, () => {
  it('lists each library it tried when none opens', () => {
    try {
      loadNativeBlas({ env: { UMD_BLAS_LIBRARY: '/nonexistent/libopenblas.so' } });
      expect.unreachable('a missing library must not load');
    } catch (error) {
      expect(error).toBeInstanceOf(NativeBlasUnavailableError);
      const unavailable = error as NativeBlasUnavailableError;
      expect(unavailable.reason).toBe('no-library');
      expect(unavailable.attempts.map((attempt) => attempt.library)).toEqual(['/nonexistent/libopenblas.so']);
      expect(unavailable.message).toMatch(/UMD_BLAS_LIBRARY/);
    }
  });

  it('names the library it opened', () => {
    expect(blas!.library.length).toBeGreaterThan(0);
    expect(blas!.threads() === undefined || blas!.threads()! >= 1).toBe(true);
  });
});

describe.skipIf(!blas)(`NativeBlas.sgemmBatched${skipped}`, () => {
  for (const [transposeA, transposeB] of [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const) {
    it(`multiplies batches in place with transposeA=${transposeA}, transposeB=${transposeB}, broadcasting B`, () => {
      const [batch, m, n, k] = [3, 5, 7, 4];
      const heap = new Float32Array(1000);
      fill(heap, 7);
      const aOffset = 10;
      const bOffset = 200; // one B for the whole batch (stride 0)
      const cOffset = 400;
      blas!.sgemmBatched(heap, { batch, transposeA, transposeB, m, n, k, aOffset, aStride: m * k, bOffset, bStride: 0, cOffset, cStride: m * n });
      for (let i = 0; i < batch; i++) {
        const a = heap.slice(aOffset + i * m * k, aOffset + (i + 1) * m * k);
        const b = heap.slice(bOffset, bOffset + k * n);
        expectClose(heap.subarray(cOffset + i * m * n, cOffset + (i + 1) * m * n), reference(a, b, m, n, k, transposeA, transposeB), 1e-6);
      }
    });
  }

  it('works on a SharedArrayBuffer (the threaded wasm heap) and writes zeros for k = 0', () => {
    const heap = new Float32Array(new SharedArrayBuffer(64 * 4)).fill(9);
    blas!.sgemmBatched(heap, {
      batch: 2,
      transposeA: false,
      transposeB: false,
      m: 2,
      n: 3,
      k: 0,
      aOffset: 0,
      aStride: 0,
      bOffset: 0,
      bStride: 0,
      cOffset: 10,
      cStride: 6,
    });
    expect(Array.from(heap.subarray(10, 22))).toEqual(new Array(12).fill(0));
    expect(heap[22]).toBe(9);
  });

  it('refuses matrices that extend past the end of the heap', () => {
    const heap = new Float32Array(20);
    expect(() =>
      blas!.sgemmBatched(heap, {
        batch: 1,
        transposeA: false,
        transposeB: false,
        m: 2,
        n: 2,
        k: 3,
        aOffset: 0,
        aStride: 0,
        bOffset: 6,
        bStride: 0,
        cOffset: 17,
        cStride: 4,
      }),
    ).toThrow(RangeError);
    expect(() =>
      blas!.sgemmBatched(heap, {
        batch: 1,
        transposeA: false,
        transposeB: false,
        m: -1,
        n: 2,
        k: 3,
        aOffset: 0,
        aStride: 0,
        bOffset: 0,
        bStride: 0,
        cOffset: 0,
        cStride: 0,
      }),
    ).toThrow(TypeError);
  });
});

describe.skipIf(!blas)(`NativeBlas element-wise loops${skipped}`, () => {
  it('sums over middle axes in float64', () => {
    const [a, r, c] = [2, 5, 3];
    const heap = new Float32Array(100);
    fill(heap, 3);
    blas!.sumMiddle(heap, { a, r, c, inOffset: 0, outOffset: 50 });
    for (let i = 0; i < a; i++) {
      for (let k = 0; k < c; k++) {
        let sum = 0;
        for (let j = 0; j < r; j++) sum += heap[(i * r + j) * c + k]!;
        expect(heap[50 + i * c + k]).toBeCloseTo(sum, 6);
      }
    }
  });

  it('computes exp and erf to float32 accuracy, with libm special values', () => {
    const n = 4096;
    const heap = new Float32Array(2 * n);
    for (let i = 0; i < n; i++) heap[i] = (i / n - 0.5) * 20;
    heap.set([Number.NaN, Infinity, -Infinity, -100, 0], 0);
    blas!.unary('exp', heap, { n, inOffset: 0, outOffset: n });
    expect(Array.from(heap.subarray(n, n + 5))).toEqual([Number.NaN, Infinity, 0, 0, 1]);
    for (let i = 5; i < n; i++) expect(Math.abs(heap[n + i]! - Math.exp(heap[i]!)) / Math.exp(heap[i]!)).toBeLessThan(3e-7);
    blas!.unary('erf', heap, { n, inOffset: 0, outOffset: n });
    expect(Array.from(heap.subarray(n, n + 5))).toEqual([Number.NaN, 1, -1, -1, 0]);
    // erf(x) against its Taylor series (|x| < 2) and erf(x) -> ±1.
    for (let i = 5; i < n; i++) {
      const x = heap[i]!;
      let expected = Math.sign(x);
      if (Math.abs(x) < 2) {
        let term = x;
        expected = x;
        for (let j = 1; j < 60; j++) {
          term *= (-x * x) / j;
          expected += term / (2 * j + 1);
        }
        expected *= 2 / Math.sqrt(Math.PI);
      } else if (Math.abs(x) < 4) {
        continue; // covered by the Taylor range and the tail
      }
      expect(Math.abs(heap[n + i]! - expected)).toBeLessThan(3e-7);
    }
  });

  it('runs the AdamW update in float32, op by op', () => {
    const n = 37;
    const heap = new Float32Array(7 * n);
    fill(heap, 11);
    for (let i = 2 * n; i < 3 * n; i++) heap[i] = Math.abs(heap[i]!); // v >= 0
    const c = { beta1: 0.9, oneMinusBeta1: 0.1, beta2: 0.999, oneMinusBeta2: 0.001, stepSize: 1e-3, epsilonHat: 1e-8, decay: 0.99 };
    blas!.adamw(heap, { n, pIn: 0, mIn: n, vIn: 2 * n, gIn: 3 * n, pOut: 4 * n, mOut: 5 * n, vOut: 6 * n, ...c });
    const f = Math.fround;
    for (let i = 0; i < n; i++) {
      const g = heap[3 * n + i]!;
      const m = f(f(heap[n + i]! * f(c.beta1)) + f(g * f(c.oneMinusBeta1)));
      const v = f(f(heap[2 * n + i]! * f(c.beta2)) + f(f(g * g) * f(c.oneMinusBeta2)));
      const p = f(f(heap[i]! * f(c.decay)) - f(f(m * f(c.stepSize)) / f(f(Math.sqrt(v)) + f(c.epsilonHat))));
      expect([heap[4 * n + i], heap[5 * n + i], heap[6 * n + i]]).toEqual([p, m, v]);
    }
    expect(() => blas!.adamw(heap, { n, pIn: 0, mIn: n, vIn: 2 * n, gIn: 3 * n, pOut: 3 * n, mOut: 5 * n, vOut: 6 * n, ...c })).toThrow(/overlaps/);
  });
  it('runs the LayerNorm loops, checking every operand against the heap', () => {
    const rows = 3;
    const d = 19;
    const heap = new Float32Array(4 * rows * d + 2 * d + 2 * rows);
    fill(heap, 5);
    const [x, gamma, beta, y, mean, rstd] = [0, rows * d, rows * d + d, rows * d + 2 * d, 2 * rows * d + 2 * d, 2 * rows * d + 2 * d + rows];
    blas!.layerNorm('forward', heap, { rows, d, offsets: [x, gamma, beta, y, mean, rstd], epsilon: 1e-5 });
    for (let row = 0; row < rows; row++) {
      const values = Array.from(heap.subarray(x + row * d, x + (row + 1) * d));
      const mu = values.reduce((a, b) => a + b, 0) / d;
      const sigma = Math.sqrt(values.reduce((a, b) => a + (b - mu) ** 2, 0) / d + 1e-5);
      expect(heap[mean + row]).toBeCloseTo(mu, 6);
      expect(heap[rstd + row]).toBeCloseTo(1 / sigma, 5);
      for (let j = 0; j < d; j++) expect(heap[y + row * d + j]).toBeCloseTo(((values[j]! - mu) / sigma) * heap[gamma + j]! + heap[beta + j]!, 5);
    }
    expect(() => blas!.layerNorm('forward', heap, { rows, d, offsets: [x, gamma, beta, heap.length - rows * d + 1, mean, rstd], epsilon: 1e-5 })).toThrow(
      /past the end/,
    );
    expect(() => blas!.layerNorm('scale-grad', heap, { rows, d, offsets: [x, x, mean, rstd, heap.length - d + 1, 0], epsilon: 0 })).toThrow(/past the end/);
  });
  it('runs the masked softmax and its gradient, checking every operand against the heap', () => {
    const rows = 4;
    const s = 5;
    const heap = new Float32Array(4 * rows * s + 2 * s);
    fill(heap, 7);
    const [x, mask, y, dy, dx] = [0, rows * s, rows * s + 2 * s, 2 * rows * s + 2 * s, 3 * rows * s + 2 * s];
    heap.set([1, 1, 0, 1, 0, 0, 0, 0, 0, 0], mask); // mask row 0 keeps 3 positions, row 1 none (uniform)
    blas!.softmax('forward', heap, { rows, s, a: x, b: mask, rowsPerMask: 2, out: y });
    for (let row = 0; row < 2; row++) {
      const kept = [0, 1, 3];
      const exps = kept.map((j) => Math.exp(heap[x + row * s + j]!));
      const total = exps.reduce((a, b) => a + b, 0);
      kept.forEach((j, k) => expect(heap[y + row * s + j]).toBeCloseTo(exps[k]! / total, 6));
      expect([heap[y + row * s + 2], heap[y + row * s + 4]]).toEqual([0, 0]);
    }
    for (let j = 0; j < s; j++) expect(heap[y + 3 * s + j]).toBeCloseTo(1 / s, 7);
    blas!.softmax('gradient', heap, { rows, s, a: dy, b: y, out: dx });
    const dot = Array.from({ length: s }, (_, j) => heap[dy + j]! * heap[y + j]!).reduce((a, b) => a + b, 0);
    for (let j = 0; j < s; j++) expect(heap[dx + j]).toBeCloseTo(heap[y + j]! * (heap[dy + j]! - dot), 6);
    expect(() => blas!.softmax('forward', heap, { rows, s, a: x, b: mask, rowsPerMask: 3, out: y })).toThrow(/divide/);
    expect(() => blas!.softmax('gradient', heap, { rows, s, a: dy, b: heap.length - 3, out: dx })).toThrow(/past the end/);
  });
});
