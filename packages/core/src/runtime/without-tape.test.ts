import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { initRuntime } from './init-runtime.js';
import { withoutTape } from './without-tape.js';

describe('withoutTape', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'cpu' });
  });

  it('makes what it computes a constant for the gradient around it, and restores the tape after a throw', () => {
    const x = tf.variable(tf.scalar(3));
    const { value, grads } = tf.variableGrads(() => {
      const tracked = tf.square(x); // d/dx = 2x = 6
      const constant = withoutTape(() => tf.square(x)); // no gradient flows through this
      return tf.add(tracked, constant) as tf.Scalar;
    }, [x]);
    expect(value.dataSync()[0]).toBe(18);
    expect(grads[x.name]!.dataSync()[0]).toBe(6);
    expect(() =>
      withoutTape(() => {
        throw new Error('inside');
      }),
    ).toThrow('inside');
    const after = tf.variableGrads(() => tf.square(x) as tf.Scalar, [x]);
    expect(after.grads[x.name]!.dataSync()[0]).toBe(6);
    tf.dispose([value, grads, after.value, after.grads, x]);
  });

  it('fails the plain gradient check when the tape is not paused (the test can fail)', () => {
    const x = tf.variable(tf.scalar(3));
    const { value, grads } = tf.variableGrads(() => tf.add(tf.square(x), tf.square(x)) as tf.Scalar, [x]);
    expect(grads[x.name]!.dataSync()[0]).toBe(12);
    tf.dispose([value, grads, x]);
  });
});
