/**
 * Test helpers for code built on `@umd/core` (import from `@umd/core/testing`; never from the main entry).
 */
export { expectNoTensorLeak, expectStableTensorCount } from './expect-no-tensor-leak.js';
export { expectTensorClose } from './expect-tensor-close.js';
export { useBackend } from './use-backend.js';
