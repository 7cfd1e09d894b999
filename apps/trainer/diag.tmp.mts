// Diagnostic (not kept): how much MedPix location information the frozen MobileNetV2 features carry.
import * as tf from '@tensorflow/tfjs-core';
import { initRuntime } from '@umd/core';
import { loadMedpixClassification, createImagePipeline } from '@umd/data';
import { loadVisionStem } from '@umd/encoders';
await initRuntime({ backend: 'wasm' } as never);
const load = await loadMedpixClassification({ root: '/work/shared/data/medpix-2.0', labelField: 'Location Category', onError: 'skip' });
const pipe = createImagePipeline({ size: 224, channels: 3, memoryCacheMiB: 0 });
const layer = (process.argv[2] ?? 'out_relu') as never;
const stem = (await loadVisionStem({ kind: 'mobilenet-v2', layer }))!;
const feats: Record<string, { x: Float32Array[]; y: string[]; text: string[] }> = {};
for (const name of ['train', 'dev', 'test']) {
  const samples = load.splits[name]!;
  const out = { x: [] as Float32Array[], y: [] as string[], text: [] as string[] };
  for (let i = 0; i < samples.length; i += 32) {
    const chunk = samples.slice(i, i + 32);
    const buf = new Float32Array(chunk.length * 224 * 224 * 3);
    for (let j = 0; j < chunk.length; j++) await pipe.load(chunk[j]!.image, { out: buf.subarray(j * 150528, (j + 1) * 150528) });
    const images = tf.tensor4d(buf, [chunk.length, 224, 224, 3]);
    const f = stem.extract(images);
    const pooled = tf.tidy(() => tf.concat([tf.mean(f, [1, 2]), tf.max(f, [1, 2])], 1));
    const v = pooled.dataSync() as Float32Array; const C = pooled.shape[1]!;
    for (let j = 0; j < chunk.length; j++) { out.x.push(v.slice(j * C, (j + 1) * C)); out.y.push((chunk[j] as any).label); out.text.push((chunk[j] as any).text); }
    tf.dispose([images, f, pooled]);
  }
  feats[name] = out;
  console.log(name, out.x.length);
}
const classes = [...new Set(feats.train!.y)].sort();
console.log(classes, classes.map((c) => feats.train!.y.filter((y) => y === c).length));
const C = feats.train!.x[0]!.length;
// standardise with train stats
const mean = new Float32Array(C), sd = new Float32Array(C);
for (const x of feats.train!.x) x.forEach((v, k) => (mean[k]! += v / feats.train!.x.length));
for (const x of feats.train!.x) x.forEach((v, k) => (sd[k]! += (v - mean[k]!) ** 2 / feats.train!.x.length));
const toT = (s: string) => tf.tensor2d(feats[s]!.x.map((x) => Array.from(x, (v, k) => (v - mean[k]!) / Math.sqrt(sd[k]! + 1e-6))));
const Xtr = toT('train'), Xdv = toT('dev'), Xte = toT('test');
const ytr = tf.oneHot(tf.tensor1d(feats.train!.y.map((y) => classes.indexOf(y)), 'int32'), classes.length);
for (const l2 of [1e-3, 1e-2, 1e-1]) {
  const W = tf.variable(tf.zeros([C, classes.length])); const b = tf.variable(tf.zeros([classes.length]));
  const opt = tf.train.adam(1e-3);
  for (let it = 0; it < 400; it++) opt.minimize(() => tf.add(tf.losses.softmaxCrossEntropy(ytr, tf.add(tf.matMul(Xtr, W), b)), tf.mul(l2, tf.sum(tf.square(W)))) as tf.Scalar);
  const acc = (X: tf.Tensor2D, s: string) => { const p = tf.argMax(tf.add(tf.matMul(X, W), b), 1).dataSync(); return (100 * feats[s]!.y.filter((y, i) => classes.indexOf(y) === p[i]).length) / p.length; };
  console.log(`layer ${layer} l2 ${l2}: image-only linear probe dev ${acc(Xdv, 'dev').toFixed(1)}`);
}
