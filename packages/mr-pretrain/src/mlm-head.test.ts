import * as tf from '@tensorflow/tfjs-core';
import { SeededRandom, softmaxCrossEntropy, valueAndGrads } from '@umd/core';
import { expectTensorClose, useBackend } from '@umd/core/testing';
import { UmdModel } from '@umd/encoders';
import { beforeAll, describe, expect, it } from 'vitest';

import { microConfig } from './__fixtures__/micro.js';
import { MlmHead } from './mlm-head.js';

describe('MlmHead', () => {
  beforeAll(() => useBackend('cpu'));

  it('computes logits only at the predicted positions, against the tied word embeddings', () => {
    const random = new SeededRandom(0);
    const model = new UmdModel(microConfig, random);
    const head = model.heads.register('mlm', new MlmHead(16, model.text.wordEmbeddings, random));
    const text = tf.tensor3d(random.normalArray(3 * 5 * 16), [3, 5, 16]);
    const positions = tf.tensor1d([1, 7, 14], 'int32'); // (0, 1), (1, 2), (2, 4)
    const logits = head.forward(text, positions);
    expect(logits.shape).toEqual([3, 60]); // N × V, not B·T × V

    // Rows that are not predicted do not matter: replacing them leaves the logits unchanged.
    const keep = tf.tensor3d(
      Array.from({ length: 15 }, (_, i) => ([1, 7, 14].includes(i) ? 1 : 0)),
      [3, 5, 1],
    );
    const changed = tf.add(tf.mul(text, keep), tf.mul(tf.sub(1, keep), 100));
    const again = head.forward(changed, positions);
    expectTensorClose(again, logits, { atol: 1e-5 });

    // The output projection is the word embedding table: it gets the gradient, the head has only a bias.
    expect(
      head
        .parameters()
        .map((p) => p.name)
        .sort(),
    ).toEqual(['bias', 'norm.bias', 'norm.weight', 'transform.bias', 'transform.weight']);
    const { value, grads } = valueAndGrads(() => softmaxCrossEntropy(head.forward(text, positions), { classes: [4, 5, 6] }), model.parameters());
    expect(Object.keys(grads)).toContain('text.embeddings.word.weight');
    expect(Object.keys(grads)).toContain('heads.mlm.bias');
    tf.dispose([text, positions, logits, keep, changed, again, value, ...Object.values(grads)]);
    model.dispose();
  });
});
