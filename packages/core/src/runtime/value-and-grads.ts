import * as tf from '@tensorflow/tfjs-core';

import type { NamedTensors, Parameter } from '../nn/module.js';

/**
 * Runs `lossFunction` and returns its scalar value with the gradient of every parameter, keyed by hierarchical name.
 *
 * Parameters that do not influence the loss get no entry. The caller owns `value` and every gradient. Call it inside
 * `tf.tidy` or dispose the results; intermediate tensors of the forward pass are freed here.
 *
 * @param lossFunction builds a scalar loss from the parameters' current values (synchronous, no async work)
 */
export function valueAndGrads(lossFunction: () => tf.Scalar, parameters: readonly Parameter[]): { value: tf.Scalar; grads: NamedTensors } {
  const variables = parameters.map((parameter) => parameter.variable);
  const { value, grads } = tf.variableGrads(lossFunction, variables);
  const named: NamedTensors = {};
  for (const parameter of parameters) {
    const gradient = grads[parameter.variable.name];
    if (gradient) named[parameter.name] = gradient;
  }
  return { value, grads: named };
}
