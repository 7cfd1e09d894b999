/**
 * mulberry32: a tiny, fast 32-bit PRNG with a full 2^32 period, good enough for resampling. Returns uniform floats
 * in [0, 1). The same seed always gives the same sequence (seeds are truncated to uint32).
 */
export function mulberry32(seed: number): () => number {
  let state = Math.trunc(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
