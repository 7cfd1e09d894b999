import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { CheckpointMismatchError, encodeSafetensors, initRuntime, SeededRandom, type TensorRecord } from '@umd/core';
import { expectTensorClose } from '@umd/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { microHuggingFaceConfig } from '../__fixtures__/small-configs.js';
import { patchify } from '../patchify.js';
import { UmdModel } from '../umd-model.js';
import { importHuggingFaceWeights } from './import-hugging-face-weights.js';

const config = microHuggingFaceConfig;
const random = new SeededRandom(42);
const tensor = (...shape: number[]): TensorRecord => ({
  dtype: 'float32',
  shape,
  data: random.normalArray(shape.reduce((a, b) => a * b, 1)),
});

/** A CLIPVisionModel state dict with Hugging Face names, at test size (D 8, 2 layers, 8 px images, 4 px patches). */
function clipVisionFile(): Record<string, TensorRecord> {
  const D = config.vision.dim;
  const M = config.vision.mlpDim;
  const files: Record<string, TensorRecord> = {
    'vision_model.embeddings.class_embedding': tensor(D),
    'vision_model.embeddings.patch_embedding.weight': tensor(D, 3, 4, 4),
    'vision_model.embeddings.position_embedding.weight': tensor(1 + 4, D),
    'vision_model.embeddings.position_ids': { dtype: 'int32', shape: [1, 5], data: Int32Array.from([0, 1, 2, 3, 4]) },
    'vision_model.pre_layrnorm.weight': tensor(D),
    'vision_model.pre_layrnorm.bias': tensor(D),
    'vision_model.post_layernorm.weight': tensor(D),
    'vision_model.post_layernorm.bias': tensor(D),
    // Another tower of a full CLIPModel: outside the vision prefix, ignored.
    'text_model.embeddings.token_embedding.weight': tensor(10, D),
    logit_scale: tensor(1),
  };
  for (let i = 0; i < config.vision.depth; i++) {
    const p = `vision_model.encoder.layers.${i}`;
    for (const name of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) {
      files[`${p}.self_attn.${name}.weight`] = tensor(D, D);
      files[`${p}.self_attn.${name}.bias`] = tensor(D);
    }
    for (const name of ['layer_norm1', 'layer_norm2']) {
      files[`${p}.${name}.weight`] = tensor(D);
      files[`${p}.${name}.bias`] = tensor(D);
    }
    files[`${p}.mlp.fc1.weight`] = tensor(M, D);
    files[`${p}.mlp.fc1.bias`] = tensor(M);
    files[`${p}.mlp.fc2.weight`] = tensor(D, M);
    files[`${p}.mlp.fc2.bias`] = tensor(D);
  }
  return files;
}

/** A BertModel state dict (`bert.` prefix) at test size, with a pooler and an MLM head that must be ignored. */
function bertFile(): Record<string, TensorRecord> {
  const D = config.text.dim;
  const M = config.text.mlpDim;
  const files: Record<string, TensorRecord> = {
    'bert.embeddings.word_embeddings.weight': tensor(config.text.vocabSize, D),
    'bert.embeddings.position_embeddings.weight': tensor(config.text.maxPositions, D),
    'bert.embeddings.token_type_embeddings.weight': tensor(2, D),
    'bert.embeddings.LayerNorm.weight': tensor(D),
    'bert.embeddings.LayerNorm.bias': tensor(D),
    'bert.pooler.dense.weight': tensor(D, D),
    'bert.pooler.dense.bias': tensor(D),
    'cls.predictions.bias': tensor(config.text.vocabSize),
  };
  for (let i = 0; i < config.text.depth; i++) {
    const p = `bert.encoder.layer.${i}`;
    for (const name of ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense']) {
      files[`${p}.${name}.weight`] = tensor(D, D);
      files[`${p}.${name}.bias`] = tensor(D);
    }
    for (const name of ['attention.output.LayerNorm', 'output.LayerNorm']) {
      files[`${p}.${name}.weight`] = tensor(D);
      files[`${p}.${name}.bias`] = tensor(D);
    }
    files[`${p}.intermediate.dense.weight`] = tensor(M, D);
    files[`${p}.intermediate.dense.bias`] = tensor(M);
    files[`${p}.output.dense.weight`] = tensor(D, M);
    files[`${p}.output.dense.bias`] = tensor(D);
  }
  return files;
}

let dir: string;
async function write(name: string, tensors: Record<string, TensorRecord>): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, encodeSafetensors(tensors, { format: 'pt' }));
  return file;
}

describe('importHuggingFaceWeights', () => {
  beforeAll(async () => {
    await initRuntime({ backend: 'cpu' });
    dir = await mkdtemp(path.join(tmpdir(), 'umd-weights-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads a CLIP vision tower: the patch embedding equals the stride-P convolution it came from', async () => {
    const clip = clipVisionFile();
    const model = new UmdModel(config, new SeededRandom(0));
    const report = await importHuggingFaceWeights(model, { clipVision: await write('clip.safetensors', clip) });
    expect(Object.values(report.loaded)[0]).toHaveLength(2 + 3 + 2 + 2 * 12);
    expect(Object.values(report.ignored)[0]).toEqual(['vision_model.embeddings.position_ids']);
    expect(report.untouched.every((name) => !name.startsWith('vision.'))).toBe(true);

    // Convolution by hand: out[l, d] = Σ_{c, y, x} W[d, c, y, x] · image[y0 + y, x0 + x, c]
    const image = random.normalArray(8 * 8 * 3);
    const weight = clip['vision_model.embeddings.patch_embedding.weight']!.data as Float32Array;
    const expected: number[] = [];
    for (const [y0, x0] of [
      [0, 0],
      [0, 4],
      [4, 0],
      [4, 4],
    ] as const) {
      for (let d = 0; d < 8; d++) {
        let sum = 0;
        for (let c = 0; c < 3; c++)
          for (let y = 0; y < 4; y++)
            for (let x = 0; x < 4; x++) {
              sum += weight[((d * 3 + c) * 4 + y) * 4 + x]! * image[((y0 + y) * 8 + (x0 + x)) * 3 + c]!;
            }
        expected.push(sum);
      }
    }
    const patches = patchify(tf.tensor4d(image, [1, 8, 8, 3]), 4);
    const embedded = tf.matMul(tf.reshape(patches, [4, 48]), model.parameterMap().get('vision.patchEmbed.weight')!);
    expectTensorClose(embedded, expected, { atol: 1e-4 });

    // q | k | v columns of the fused projection are the transposed HF matrices.
    const qkv = model.parameterMap().get('vision.blocks.1.attn.qkv.weight')!.arraySync() as number[][];
    const k = clip['vision_model.encoder.layers.1.self_attn.k_proj.weight']!.data as Float32Array;
    expect(qkv[3]![8 + 5]).toBeCloseTo(k[5 * 8 + 3]!, 6); // ours[in=3][k block, out=5] = k[out=5][in=3]
    const cls = model.parameterMap().get('vision.clsToken')!;
    expect(cls.shape).toEqual([1, 1, 8]);
    expect(Array.from(cls.dataSync())).toEqual(Array.from(clip['vision_model.embeddings.class_embedding']!.data));
    tf.dispose([patches, embedded]);
    model.dispose();
  });

  it('loads BERT weights into the post-LN text encoder, ignoring the pooler and MLM head', async () => {
    const bert = bertFile();
    const model = new UmdModel(config, new SeededRandom(1));
    const report = await importHuggingFaceWeights(model, { text: await write('bert.safetensors', bert) });
    expect(Object.values(report.ignored)[0]!.sort()).toEqual(['bert.pooler.dense.bias', 'bert.pooler.dense.weight']);
    const fc1 = model.parameterMap().get('text.blocks.0.mlp.fc1.weight')!;
    expect(fc1.shape).toEqual([8, 16]);
    const source = bert['bert.encoder.layer.0.intermediate.dense.weight']!.data as Float32Array; // [16, 8]
    expect((fc1.arraySync() as number[][])[2]![11]).toBeCloseTo(source[11 * 8 + 2]!, 6);
    const bias = model.parameterMap().get('text.blocks.1.attn.qkv.bias')!.dataSync();
    expect(Array.from(bias.slice(16, 24))).toEqual(Array.from(bert['bert.encoder.layer.1.attention.self.value.bias']!.data));
    model.dispose();
  });

  it('reports every missing, unexpected and mis-shaped tensor at once and changes nothing', async () => {
    const clip = clipVisionFile();
    delete clip['vision_model.encoder.layers.0.self_attn.v_proj.weight'];
    clip['vision_model.encoder.layers.2.layer_norm1.weight'] = tensor(8);
    clip['vision_model.encoder.layers.1.mlp.fc2.weight'] = tensor(8, 15);
    const model = new UmdModel(config, new SeededRandom(2));
    const before = Array.from(model.parameterMap().get('vision.blocks.0.norm1.weight')!.dataSync());
    const attempt = importHuggingFaceWeights(model, { clipVision: await write('bad.safetensors', clip) });
    await expect(attempt).rejects.toBeInstanceOf(CheckpointMismatchError);
    const error = (await attempt.catch((e: unknown) => e)) as CheckpointMismatchError;
    expect(error.problems.map((p) => `${p.kind} ${p.name}`).sort()).toEqual([
      'missing vision_model.encoder.layers.0.self_attn.v_proj.weight',
      'shape vision_model.encoder.layers.1.mlp.fc2.weight',
      'unexpected vision_model.encoder.layers.2.layer_norm1.weight',
    ]);
    expect(error.message).toMatch(/checkpoint \[8, 15\], expected \[8, 16\] float32 for vision\.blocks\.1\.mlp\.fc2\.weight/);
    expect(Array.from(model.parameterMap().get('vision.blocks.0.norm1.weight')!.dataSync())).toEqual(before);
    model.dispose();
  });

  it('refuses BERT weights for a pre-LN text encoder, naming the field', async () => {
    const model = new UmdModel({ ...config, text: { ...config.text, normPlacement: 'pre' } }, new SeededRandom(3));
    await expect(importHuggingFaceWeights(model, { text: await write('bert2.safetensors', bertFile()) })).rejects.toThrow(/text\.normPlacement.*'post'/);
    model.dispose();
  });
});
