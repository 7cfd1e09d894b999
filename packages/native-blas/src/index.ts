/**
 * @umd/native-blas: an optional binding to the system BLAS for @umd/core's wasm matMuls. Named exports only.
 */
export { defaultBlasLibraries, loadNativeBlas } from './load-native-blas.js';
export { ensureNativeBlasAddon, nativeBlasCacheFolder } from './build-addon.js';
export type { EnsureNativeBlasAddonOptions, NativeBlasAddon } from './build-addon.js';
export type { LoadNativeBlasOptions } from './load-native-blas.js';
export type {
  AdamWStep,
  GeluRange,
  LayerNormRows,
  NativeBlas,
  NativeLayerNormOp,
  NativeUnaryOp,
  SgemmBatch,
  SoftmaxRows,
  SumMiddle,
  UnaryRange,
} from './native-blas.js';
export { NativeBlasUnavailableError } from './errors/native-blas-unavailable-error.js';
export type { NativeBlasUnavailableReason } from './errors/native-blas-unavailable-error.js';
