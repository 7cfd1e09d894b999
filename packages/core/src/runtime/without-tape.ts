import * as tf from '@tensorflow/tfjs-core';

interface EngineState {
  gradientDepth: number;
}

/**
 * Runs `fn` with tfjs's gradient tape paused: kernels run inside it are not recorded and save nothing for a backward
 * pass, even when called inside `tf.variableGrads` (e.g. a frozen feature extractor in a model's forward pass, whose
 * activations would otherwise be held until the gradients are computed). Its results are constants for any
 * gradient taken around it. tfjs has no public "no gradient" scope; this sets the engine's gradient depth to 0 for
 * the call and restores it afterwards, also on a throw.
 */
export function withoutTape<T>(fn: () => T): T {
  const state = (tf.engine() as unknown as { state: EngineState }).state;
  const depth = state.gradientDepth;
  state.gradientDepth = 0;
  try {
    return fn();
  } finally {
    state.gradientDepth = depth;
  }
}
