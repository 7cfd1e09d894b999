/**
 * A batch of row-major single-precision products inside one Float32Array `heap`:
 * for i < batch, C_i [m, n] = op(A_i) · op(B_i), with op(A) [m, k] and op(B) [k, n].
 * X_i starts at element `xOffset + i · xStride`; a stride of 0 repeats one matrix for the whole batch (broadcast).
 */
export interface SgemmBatch {
  readonly batch: number;
  /** A is stored transposed, [k, m]. */
  readonly transposeA: boolean;
  /** B is stored transposed, [n, k]. */
  readonly transposeB: boolean;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** Element offsets and strides (not bytes). */
  readonly aOffset: number;
  readonly aStride: number;
  readonly bOffset: number;
  readonly bStride: number;
  readonly cOffset: number;
  readonly cStride: number;
}

/** A sum over middle axes: viewing the input as [a, r, c], out [a, c] = Σ_r in[a, r, c]. Element offsets. */
export interface SumMiddle {
  readonly a: number;
  readonly r: number;
  readonly c: number;
  readonly inOffset: number;
  readonly outOffset: number;
}

/** The element-wise functions of {@link NativeBlas.unary}. */
export type NativeUnaryOp = 'exp' | 'erf';

/** n elements from `inOffset` to `outOffset` (element offsets; may be equal for in-place). */
export interface UnaryRange {
  readonly n: number;
  readonly inOffset: number;
  readonly outOffset: number;
}

/**
 * One AdamW update of `n` float32 elements in a heap (element offsets). The outputs must not overlap any input or each
 * other. In float32, in this order: m' = m·β1 + g·(1−β1); v' = v·β2 + g²·(1−β2); p' = p·decay − m'·stepSize / (√v' + ε̂).
 */
export interface AdamWStep {
  readonly n: number;
  readonly pIn: number;
  readonly mIn: number;
  readonly vIn: number;
  readonly gIn: number;
  readonly pOut: number;
  readonly mOut: number;
  readonly vOut: number;
  readonly beta1: number;
  readonly oneMinusBeta1: number;
  readonly beta2: number;
  readonly oneMinusBeta2: number;
  readonly stepSize: number;
  readonly epsilonHat: number;
  /** 1 − lr·weightDecay, or 1 for no decay. */
  readonly decay: number;
}

/** The loops of {@link NativeBlas.layerNorm}. */
export type NativeLayerNormOp = 'forward' | 'input-grad' | 'scale-grad';

/**
 * One LayerNorm loop over `rows` rows of `d` floats in a heap (element offsets), statistics summed in float64:
 * - `forward`: offsets [x, γ, β, y, mean, rstd]: y = (x − μ) · rstd · γ + β, rstd = 1/√(σ² + ε);
 * - `input-grad`: [dy, x, mean, rstd, γ, dx]: dx = rstd · (g − mean(g) − x̂ · mean(g · x̂)), g = dy · γ, x̂ = (x − μ) · rstd;
 * - `scale-grad`: [dy, x, mean, rstd, dγ, unused]: dγ = Σ_rows dy · x̂.
 * Outputs must not overlap inputs.
 */
export interface LayerNormRows {
  readonly rows: number;
  readonly d: number;
  readonly offsets: readonly [number, number, number, number, number, number];
  /** ε (forward only). */
  readonly epsilon: number;
}

/** GELU's loops (erf form): `forward` y = x·Φ(x); `gradient` dx = dy·(Φ(x) + x·φ(x)). Element offsets; `dy` gradient only. */
export interface GeluRange {
  readonly n: number;
  readonly x: number;
  readonly dy?: number;
  readonly out: number;
}

/**
 * Softmax over `rows` rows of `s` floats (element offsets). `forward`: `a` = scores, `b` = an optional key mask (1 =
 * kept, 0 = left out with weight 0; row r reads mask row ⌊r / rowsPerMask⌋, e.g. a [B, S] mask under [B, H, T, S]
 * scores); a row with nothing kept is uniform. `gradient`: `a` = dy, `b` = the forward's y: dx = y·(dy − Σ dy·y).
 */
export interface SoftmaxRows {
  readonly rows: number;
  readonly s: number;
  readonly a: number;
  readonly b?: number;
  readonly rowsPerMask?: number;
  readonly out: number;
}

/** A system BLAS opened by {@link loadNativeBlas}, plus a few vectorised float32 loops compiled with the addon. */
export interface NativeBlas {
  /** The library that was opened, as given to dlopen (e.g. `libopenblas.so.0`). */
  readonly library: string;
  /** The library's own description where it has one (OpenBLAS: `openblas_get_config()`), else `''`. */
  readonly config: string;
  /** The compiled addon that was loaded (in the per-user cache). */
  readonly addonPath: string;
  /** Milliseconds this load spent compiling the addon (its first use on this machine), else undefined. */
  readonly compiledInMs: number | undefined;
  /** Threads the BLAS computes with, or undefined when the library cannot say. */
  threads(): number | undefined;
  /** Sets the BLAS's thread count where the library allows it (OpenBLAS, BLIS, MKL); otherwise does nothing. */
  setThreads(count: number): void;
  /**
   * Computes every product of `gemm` in place in `heap` (C is overwritten). Synchronous; `heap` may be backed by a
   * SharedArrayBuffer. Every matrix is bounds-checked against `heap` before the BLAS runs.
   *
   * @throws RangeError when a matrix extends past the end of `heap`
   * @throws TypeError when an argument is not a non-negative integer (or a boolean for the transpose flags)
   */
  sgemmBatched(heap: Float32Array, gemm: SgemmBatch): void;
  /**
   * Sums over middle axes in `heap` (accumulating in float64): the reductions tfjs-wasm can only do after a transpose.
   *
   * @throws RangeError when the input or output extends past the end of `heap`
   */
  sumMiddle(heap: Float32Array, sum: SumMiddle): void;
  /**
   * Applies `op` element-wise in `heap`: `exp` to ~1e-7 relative error, `erf` to ~3e-7 (absolute 1.5e-7); NaN and
   * ±∞ behave as in libm.
   *
   * @throws RangeError when the input or output extends past the end of `heap`
   */
  unary(op: NativeUnaryOp, heap: Float32Array, range: UnaryRange): void;
  /**
   * One fused AdamW update (see {@link AdamWStep}), vectorised; every coefficient is rounded to float32 first, so the
   * result is bit-identical to the same update computed op by op in float32.
   *
   * @throws RangeError when a tensor extends past the end of `heap` or an output overlaps another tensor
   */
  adamw(heap: Float32Array, step: AdamWStep): void;
  /**
   * One fused LayerNorm loop (see {@link LayerNormRows}), float32 operation by operation with float64 sums, as the
   * JavaScript loops of `@umd/core`'s LayerNorm kernels (the same numbers bit for bit).
   *
   * @throws RangeError when a tensor extends past the end of `heap`
   */
  layerNorm(op: NativeLayerNormOp, heap: Float32Array, rows: LayerNormRows): void;
  /**
   * GELU (erf form) or its gradient over `n` floats (see {@link GeluRange}), with the erf and exp of {@link unary}:
   * to ~3e-7 of the exact function.
   *
   * @throws RangeError when a tensor extends past the end of `heap`
   */
  gelu(op: 'forward' | 'gradient', heap: Float32Array, range: GeluRange): void;
  /**
   * A masked softmax or its gradient over rows (see {@link SoftmaxRows}), with the addon's exp; sums in float64.
   *
   * @throws RangeError when a tensor extends past the end of `heap`, or `rowsPerMask` does not divide `rows`
   */
  softmax(op: 'forward' | 'gradient', heap: Float32Array, rows: SoftmaxRows): void;
}
