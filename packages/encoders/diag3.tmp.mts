// Diagnostic (not kept): image-only MedPix location with the top MobileNetV2 blocks fine-tuned vs frozen.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initRuntime } from '@umd/core';
import { loadMedpixClassification, createImagePipeline } from '../data/src/index.ts';
await initRuntime({ backend: 'wasm' } as never);
const { MobileNetV2Model: d } = (await import('nsfwjs/models/mobilenet_v2')) as any;
const un = (m: any) => (m && typeof m === 'object' && 'default' in m ? m.default : m);
const json = un(await d.modelJson());
const shards = await Promise.all(d.weightBundles.map(async (b: any) => Buffer.from(un(await b()), 'base64')));
const data = Buffer.concat(shards);
const full = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g: any) => g.weights), weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.length) }));
const firstBlock = Number(process.argv[2] ?? 16);
const cut = firstBlock === 13 ? 'block_12_add' : firstBlock === 14 ? 'block_13_project_BN' : `block_${firstBlock - 1}_add`;
const body = tfl.model({ inputs: full.inputs, outputs: full.getLayer(cut).output as tfl.SymbolicTensor });
console.log('relu cfg', JSON.stringify(full.getLayer('out_relu').getConfig()));
// folded conv (kernel, bias) from Conv + BN
const fold = (conv: string, bn: string, depthwise = false) => {
  const [k] = full.getLayer(conv).getWeights();
  const [gamma, beta, mu, v] = full.getLayer(bn).getWeights();
  const eps = (full.getLayer(bn).getConfig() as any).epsilon as number;
  const s = tf.div(gamma!, tf.sqrt(tf.add(v!, eps)));
  const kernel = depthwise ? tf.mul(k!, tf.reshape(s, [1, 1, -1, 1])) : tf.mul(k!, s);
  return { kernel: tf.variable(kernel), bias: tf.variable(tf.sub(beta!, tf.mul(mu!, s))) };
};
const blocks: any[] = [];
for (let i = firstBlock; i <= 16; i++) blocks.push({ i, e: fold(`block_${i}_expand`, `block_${i}_expand_BN`), dw: fold(`block_${i}_depthwise`, `block_${i}_depthwise_BN`, true), p: fold(`block_${i}_project`, `block_${i}_project_BN`), stride: (full.getLayer(`block_${i}_depthwise`).getConfig() as any).strides[0], add: i !== 13 && i !== 16 });
const top = fold('Conv_1', 'Conv_1_bn');
const conv1 = (x: tf.Tensor4D, w: { kernel: tf.Variable; bias: tf.Variable }) => { const [B, H, Wd, C] = x.shape; const k = w.kernel.shape; return tf.reshape(tf.add(tf.matMul(tf.reshape(x, [B * H * Wd, C]), tf.reshape(w.kernel, [k[2]!, k[3]!])), w.bias), [B, H, Wd, k[3]!]) as tf.Tensor4D; };
const dw3 = (x: tf.Tensor4D, kernel: tf.Variable, stride: number) => { const [B, H, Wd, C] = x.shape; const p = stride === 1 ? tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]) : tf.pad(x, [[0, 0], [0, 2], [0, 2], [0, 0]]); let acc: tf.Tensor | undefined; const k = tf.reshape(kernel, [3, 3, C]);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) { const sl = tf.slice(p, [0, i, j, 0], [B, H, Wd, C]); const t = tf.mul(sl, tf.reshape(tf.slice(k, [i, j, 0], [1, 1, C]), [C])); acc = acc ? tf.add(acc, t) : t; }
  if (stride === 2) acc = tf.reshape(tf.slice(tf.reshape(acc!, [B, H / 2, 2, Wd / 2, 2, C]), [0, 0, 0, 0, 0, 0], [B, H / 2, 1, Wd / 2, 1, C]), [B, H / 2, Wd / 2, C]);
  return acc as tf.Tensor4D; };
const forward = (x: tf.Tensor4D) => {
  let h = x;
  for (const b of blocks) {
    let y = tf.relu6(conv1(h, b.e));
    y = tf.relu6(tf.add(dw3(y as tf.Tensor4D, b.dw.kernel, b.stride), b.dw.bias));
    y = conv1(y as tf.Tensor4D, b.p);
    h = b.add ? tf.add(h, y) : y;
  }
  return tf.relu6(conv1(h, top)) as tf.Tensor4D;
};
const load = await loadMedpixClassification({ root: '/work/shared/data/medpix-2.0', labelField: 'Location Category', onError: 'skip' });
const pipe = createImagePipeline({ size: 224, channels: 3 });
const cache: Record<string, { x: tf.Tensor4D; y: number[] }> = {};
const classes = ['Abdomen', 'Head', 'Reproductive and Urinary System', 'Spine and Muscles', 'Thorax'];
for (const name of ['train', 'dev']) {
  const samples = load.splits[name]!; const parts: tf.Tensor[] = [];
  for (let i = 0; i < samples.length; i += 32) {
    const chunk = samples.slice(i, i + 32);
    const buf = new Float32Array(chunk.length * 150528);
    for (let j = 0; j < chunk.length; j++) await pipe.load(chunk[j]!.image, { out: buf.subarray(j * 150528, (j + 1) * 150528) });
    parts.push(tf.tidy(() => body.predict(tf.add(tf.mul(tf.tensor4d(buf, [chunk.length, 224, 224, 3]), 0.452), -0.102)) as tf.Tensor));
  }
  cache[name] = { x: tf.concat(parts) as tf.Tensor4D, y: samples.map((s: any) => classes.indexOf(s.label)) };
  tf.dispose(parts);
}
console.log('cached', cache.train!.x.shape);
const W = tf.variable(tf.randomNormal([1280, 5], 0, 0.01)); const bW = tf.variable(tf.zeros([5]));
const cnnVars = [...blocks.flatMap((b) => [b.e.kernel, b.e.bias, b.dw.kernel, b.dw.bias, b.p.kernel, b.p.bias]), top.kernel, top.bias];
const lrCnn = Number(process.argv[3] ?? 1e-4);
const optH = tf.train.adam(1e-3), optC = tf.train.adam(lrCnn);
const logits = (x: tf.Tensor4D) => tf.add(tf.matMul(tf.mean(forward(x), [1, 2]) as tf.Tensor2D, W), bW);
const N = cache.train!.y.length; let seed = 1;
const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
const t0 = Date.now();
for (let epoch = 1; epoch <= 12; epoch++) {
  const order = [...Array(N).keys()].sort(() => rand() - 0.5);
  for (let i = 0; i < N; i += 32) {
    const idx = order.slice(i, i + 32);
    tf.tidy(() => {
      const x = tf.gather(cache.train!.x, idx) as tf.Tensor4D; const y = tf.oneHot(tf.tensor1d(idx.map((k) => cache.train!.y[k]!), 'int32'), 5);
      const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, logits(x)) as tf.Scalar, lrCnn > 0 ? [W, bW, ...cnnVars] : [W, bW]);
      optH.applyGradients({ [W.name]: grads[W.name]!, [bW.name]: grads[bW.name]! });
      if (lrCnn > 0) optC.applyGradients(Object.fromEntries(cnnVars.map((v) => [v.name, grads[v.name]!])));
    });
  }
  const p = tf.tidy(() => tf.argMax(logits(cache.dev!.x), 1).dataSync());
  console.log(`first block ${firstBlock} lr ${lrCnn} epoch ${epoch} dev ${(100 * cache.dev!.y.filter((y, i) => y === p[i]).length / p.length).toFixed(1)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
