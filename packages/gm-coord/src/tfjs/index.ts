/**
 * @umd/gm-coord/tfjs: the TensorFlow.js adapter. Needs the peer `@tensorflow/tfjs-core` (and a backend the
 * application chose). Every function borrows its tensor inputs; returned tensors belong to the caller.
 */
export { modulateGradients } from './modulate-gradients.js';
export type { ModulateGradientsOptions } from './modulate-gradients.js';
export type { ParameterGroups } from './parameter-groups.js';
export { gradientNormSignals } from './gradient-norm-signals.js';
export { unimodalLogits } from './unimodal-logits.js';
export { shapleyLogits } from './shapley-logits.js';
export type { FeatureSegment, FusionHead } from './segments.js';
export { ogmScore, unimodalSignals } from './unimodal-signals.js';
export { readSignals, signalTensor } from './signal-tensor.js';
export type { ModalitySignals, SignalTensorOptions } from './signal-tensor.js';
