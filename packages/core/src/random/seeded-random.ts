/** The complete state of a {@link SeededRandom}; plain JSON, stored in checkpoints for exact resume. */
export interface RandomState {
  readonly algorithm: 'xoshiro128**';
  /** Four 32-bit unsigned words. */
  readonly words: readonly [number, number, number, number];
}

/**
 * A small, fast, seedable random number generator (xoshiro128**), used for initialisation, masking, shuffling and
 * dropout seeds. The same seed gives the same sequence on every platform; `state()`/`restore()` make it resumable.
 *
 * Not cryptographic. Not shared: each consumer gets its own instance (or a `fork`), never a module-level one.
 */
export class SeededRandom {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** @param seed any integer (or a string, hashed); equal seeds give equal sequences */
  constructor(seed: number | string) {
    // splitmix32 expands the seed into four non-zero words, as the xoshiro authors recommend.
    let x = typeof seed === 'string' ? hashString(seed) : (seed >>> 0) ^ (Math.floor(seed / 2 ** 32) >>> 0);
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    return result;
  }

  /** A uniform float in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform integer in [0, n). */
  integer(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A standard normal sample (Box-Muller; no cached second value, so the state stays four words). */
  normal(): number {
    let u = this.next();
    while (u === 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fills a new Float32Array with normal samples of the given mean and standard deviation. */
  normalArray(length: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** Fills a new Float32Array with uniform samples in [low, high). */
  uniformArray(length: number, low = 0, high = 1): Float32Array {
    const out = new Float32Array(length);
    const span = high - low;
    for (let i = 0; i < length; i++) out[i] = low + span * this.next();
    return out;
  }

  /** A random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.integer(i + 1);
      const tmp = out[i]!;
      out[i] = out[j]!;
      out[j] = tmp;
    }
    return out;
  }

  /** An integer seed for a tfjs random op (`tf.randomUniform(shape, 0, 1, 'float32', seed)`), drawn from this stream. */
  opSeed(): number {
    return this.nextUint32() % 2147483647;
  }

  /** An independent generator derived from this one's next output and a label (e.g. `'dropout'`, `'masking'`). */
  fork(label: string): SeededRandom {
    return new SeededRandom((this.nextUint32() ^ hashString(label)) >>> 0);
  }

  state(): RandomState {
    return { algorithm: 'xoshiro128**', words: [this.s0, this.s1, this.s2, this.s3] };
  }

  restore(state: RandomState): void {
    [this.s0, this.s1, this.s2, this.s3] = state.words.map((word) => word >>> 0) as [number, number, number, number];
  }

  static fromState(state: RandomState): SeededRandom {
    const random = new SeededRandom(0);
    random.restore(state);
    return random;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** FNV-1a, 32 bit. */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}
