import * as tf from '@tensorflow/tfjs-core';

/**
 * `tf.tidy` for functions returning a structure typed as an interface (tfjs' `TensorContainer` type demands index
 * signatures that interfaces lack). Keeps every tensor reachable from the result (nested objects and arrays) and frees
 * all others created inside `fn`. `fn` must be synchronous.
 */
export function tidyStruct<T>(name: string, fn: () => T): T {
  return tf.tidy(name, fn as unknown as () => tf.TensorContainer) as unknown as T;
}
