import * as tf from '@tensorflow/tfjs-core';

import { CheckpointMismatchError, type CheckpointProblem } from '../errors/checkpoint-mismatch-error.js';
import { InvalidConfigError } from '../errors/invalid-config-error.js';
import { ShapeMismatchError } from '../errors/shape-mismatch-error.js';
import type { NamedTensors, Parameter } from '../nn/module.js';
import { adamWUpdateKernelName, type AdamWUpdateAttrs } from './adamw-update-kernel.js';

/** A learning-rate multiplier (and optionally a weight-decay coefficient) for every parameter under a name prefix. */
export interface AdamWParameterGroup {
  /** Hierarchical-name prefix, e.g. `'heads.'`. Groups are tried in order; the first matching prefix wins. */
  readonly prefix: string;
  /** Multiplies the optimizer's learning rate for this group (e.g. 10 for freshly initialised heads). */
  readonly learningRateMultiplier: number;
  /**
   * Replaces the optimizer's `weightDecay` coefficient for this group. Parameters created with `weightDecay: false`
   * (biases, norms) never decay, whatever their group says.
   */
  readonly weightDecay?: number;
}

export interface AdamWOptions {
  /** Base learning rate (≥ 0). Change it every step with `setLearningRate` (the schedule lives outside). */
  readonly learningRate: number;
  /** Exponential decay of the first moment, in [0, 1). Default 0.9. */
  readonly beta1?: number;
  /** Exponential decay of the second moment, in [0, 1). Default 0.999. */
  readonly beta2?: number;
  /** Added to the bias-corrected √v̂ in the denominator (> 0). Default 1e-8. */
  readonly epsilon?: number;
  /**
   * Decoupled weight decay coefficient (≥ 0): each step `p -= lr · weightDecay · p`, applied only to parameters with
   * `weightDecay: true`. Default 0.01.
   */
  readonly weightDecay?: number;
  /** Per-prefix overrides; parameters matching none use multiplier 1 and the optimizer's `weightDecay`. */
  readonly groups?: readonly AdamWParameterGroup[];
}

/** The plain-data part of the optimizer state, stored beside `weights()` in checkpoints. */
export interface AdamWState {
  /** Number of `applyGradients` calls so far. */
  readonly step: number;
  /**
   * Updates received by each parameter that has moment slots (its bias-correction step). Omitted entries — or the
   * whole field, as in checkpoints that only stored `step` — mean "equal to `step`", the case when every parameter
   * receives a gradient every step.
   */
  readonly parameterSteps?: Readonly<Record<string, number>>;
}

interface Entry {
  readonly parameter: Parameter;
  readonly learningRateMultiplier: number;
  /** 0 for parameters created with `weightDecay: false`. */
  readonly weightDecay: number;
}

interface Slots {
  readonly m: tf.Variable;
  readonly v: tf.Variable;
  /** Updates this parameter has received (PyTorch's per-parameter `state['step']`). */
  count: number;
}

/** The per-step numbers shared by every parameter with the same learning rate, decay and bias-correction step. */
interface Coefficients {
  /** lr · √(1 − β2ᵗ) / (1 − β1ᵗ) */
  readonly stepSize: number;
  /** ε · √(1 − β2ᵗ) */
  readonly epsilonHat: number;
  /** 1 − lr · weightDecay, or undefined when there is no decay. */
  readonly decay: number | undefined;
  /** The same as float32 scalars, made on first use by the op-by-op update. */
  scalars?: { readonly stepSize: tf.Scalar; readonly epsilonHat: tf.Scalar; readonly decay: tf.Scalar | undefined };
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay Regularization"), the PyTorch
 * `torch.optim.AdamW` update:
 *
 * ```
 * p ← p · (1 − lr·wd)                      (only parameters with weightDecay: true)
 * m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
 * p ← p − lr · m̂ / (√v̂ + ε),   m̂ = m / (1 − β1ᵗ),  v̂ = v / (1 − β2ᵗ)
 * ```
 *
 * `t` counts the updates of each parameter, so a parameter that first receives gradients late (a head unfrozen after
 * warm-up) still gets properly bias-corrected first steps. Moment slots are created lazily on a parameter's first
 * update.
 *
 * Ownership: the parameters' variables stay the caller's (the optimizer only assigns to them); the optimizer owns its
 * moment variables and frees them in `dispose()`.
 *
 * Speed: where `initRuntime` registered the fused update kernel for the active backend (wasm, cpu), each parameter
 * is updated by one kernel instead of 13 element-wise ops; the result is bit-identical (same float32 operations in the
 * same order). Other backends run the op-by-op update.
 */
export class AdamW {
  private readonly entries = new Map<string, Entry>();
  private readonly slots = new Map<string, Slots>();
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private currentLearningRate: number;
  private stepCount = 0;

  constructor(parameters: readonly Parameter[], options: AdamWOptions) {
    this.currentLearningRate = checkNonNegative('learningRate', options.learningRate);
    this.beta1 = checkBeta('beta1', options.beta1 ?? 0.9);
    this.beta2 = checkBeta('beta2', options.beta2 ?? 0.999);
    this.epsilon = options.epsilon ?? 1e-8;
    if (!(Number.isFinite(this.epsilon) && this.epsilon > 0)) {
      throw new InvalidConfigError('epsilon', options.epsilon, 'a finite number > 0');
    }
    const weightDecay = checkNonNegative('weightDecay', options.weightDecay ?? 0.01);
    const groups = options.groups ?? [];
    groups.forEach((group, index) => {
      if (typeof group.prefix !== 'string' || group.prefix.length === 0) {
        throw new InvalidConfigError(`groups[${index}].prefix`, group.prefix, 'a non-empty name prefix such as "heads."');
      }
      checkNonNegative(`groups[${index}].learningRateMultiplier`, group.learningRateMultiplier);
      if (group.weightDecay !== undefined) checkNonNegative(`groups[${index}].weightDecay`, group.weightDecay);
    });

    for (const parameter of parameters) {
      if (this.entries.has(parameter.name)) {
        throw new InvalidConfigError('parameters', parameter.name, 'each parameter name once');
      }
      if (parameter.variable.dtype !== 'float32') {
        throw new InvalidConfigError(`parameters['${parameter.name}'].dtype`, parameter.variable.dtype, 'float32');
      }
      const group = groups.find((candidate) => parameter.name.startsWith(candidate.prefix));
      this.entries.set(parameter.name, {
        parameter,
        learningRateMultiplier: group?.learningRateMultiplier ?? 1,
        weightDecay: parameter.weightDecay ? (group?.weightDecay ?? weightDecay) : 0,
      });
    }
  }

  /** The base learning rate (before group multipliers). */
  get learningRate(): number {
    return this.currentLearningRate;
  }

  /** Sets the base learning rate for the next updates (call it each step with the schedule's value). */
  setLearningRate(learningRate: number): void {
    this.currentLearningRate = checkNonNegative('learningRate', learningRate);
  }

  /** Number of `applyGradients` calls so far. */
  get step(): number {
    return this.stepCount;
  }

  /**
   * Applies one update. Parameters absent from `grads` are left untouched this step (value and moments).
   *
   * @param grads gradients keyed by hierarchical parameter name, each shaped like its parameter; borrowed (not
   *   disposed). A name the optimizer was not given throws before anything is updated.
   */
  applyGradients(grads: NamedTensors): void {
    const updates: [Entry, tf.Tensor][] = [];
    for (const name in grads) {
      const gradient = grads[name];
      if (gradient === undefined) continue;
      const entry = this.entries.get(name);
      if (entry === undefined) {
        const allowed = `one of the ${this.entries.size} parameter names given to AdamW${this.someNames()}`;
        throw new InvalidConfigError('applyGradients(grads)', name, allowed);
      }
      if (!tf.util.arraysEqual(gradient.shape, entry.parameter.variable.shape)) {
        throw new ShapeMismatchError(`applyGradients(grads['${name}'])`, entry.parameter.variable.shape, gradient.shape);
      }
      updates.push([entry, gradient]);
    }

    const fused = tf.getKernel(adamWUpdateKernelName, tf.getBackend()) !== undefined;
    tf.tidy('optim/adamw', () => {
      const coefficients = new Map<string, Coefficients>();
      for (const [entry, gradient] of updates) {
        const { parameter } = entry;
        const slots = this.slotsOf(parameter);
        const t = slots.count + 1;
        const key = `${entry.learningRateMultiplier}|${entry.weightDecay}|${t}`;
        let coefficient = coefficients.get(key);
        if (coefficient === undefined) {
          coefficient = this.coefficients(entry, t);
          coefficients.set(key, coefficient);
        }
        const g = gradient.dtype === 'float32' ? gradient : tf.cast(gradient, 'float32');
        const [p, m, v] = fused ? this.fusedUpdate(parameter, slots, g, coefficient) : this.tensorUpdate(parameter, slots, g, coefficient);
        slots.m.assign(m);
        slots.v.assign(v);
        parameter.variable.assign(p);
        slots.count = t;
      }
    });
    this.stepCount += 1;
  }

  /**
   * The moment slots as `${name}/m` and `${name}/v` (tfjs's naming), for checkpoints. Only parameters updated at
   * least once have slots. These are the optimizer's live variables: read them, never dispose them.
   */
  weights(): NamedTensors {
    const out: NamedTensors = {};
    for (const [name, slots] of this.slots) {
      out[`${name}/m`] = slots.m;
      out[`${name}/v`] = slots.v;
    }
    return out;
  }

  /** Plain-data state for checkpoints (see {@link AdamWState}). */
  state(): { step: number; parameterSteps: Record<string, number> } {
    const parameterSteps: Record<string, number> = {};
    for (const [name, slots] of this.slots) parameterSteps[name] = slots.count;
    return { step: this.stepCount, parameterSteps };
  }

  /**
   * Replaces the optimizer state with a checkpoint's: slots named in `weights` take its values (created if needed),
   * slots it does not name are freed. Everything is validated first; on a mismatch nothing changes and a
   * `CheckpointMismatchError` lists every problem.
   *
   * @param weights `${name}/m` and `${name}/v` float32 tensors shaped like their parameters; borrowed (the optimizer
   *   keeps its own references, so the caller may dispose them afterwards).
   */
  restore(weights: Readonly<Record<string, tf.Tensor>>, state: AdamWState): void {
    const problems: CheckpointProblem[] = [];
    const pairs = new Map<string, { m?: tf.Tensor; v?: tf.Tensor }>();
    for (const key in weights) {
      const tensor = weights[key];
      if (tensor === undefined) continue;
      const slash = key.lastIndexOf('/');
      const name = key.slice(0, slash);
      const slot = key.slice(slash + 1);
      const entry = this.entries.get(name);
      if (slash < 0 || (slot !== 'm' && slot !== 'v') || entry === undefined) {
        problems.push({ kind: 'unexpected', name: key, checkpoint: describe(tensor) });
        continue;
      }
      const expected = entry.parameter.variable.shape;
      if (!tf.util.arraysEqual(tensor.shape, expected)) {
        const checkpoint = `[${tensor.shape.join(', ')}]`;
        problems.push({ kind: 'shape', name: key, checkpoint, expected: `[${expected.join(', ')}]` });
      } else if (tensor.dtype !== 'float32') {
        problems.push({ kind: 'dtype', name: key, checkpoint: tensor.dtype, expected: 'float32' });
      }
      const pair = pairs.get(name) ?? {};
      pair[slot] = tensor;
      pairs.set(name, pair);
    }
    for (const [name, pair] of pairs) {
      const expected = describe(this.entries.get(name)?.parameter.variable);
      if (pair.m === undefined) problems.push({ kind: 'missing', name: `${name}/m`, expected });
      if (pair.v === undefined) problems.push({ kind: 'missing', name: `${name}/v`, expected });
    }
    if (!isCount(state.step)) {
      problems.push({ kind: 'field', name: 'step', checkpoint: String(state.step), expected: 'an integer ≥ 0' });
    }
    const parameterSteps = state.parameterSteps ?? {};
    for (const name in parameterSteps) {
      const count = parameterSteps[name];
      if (!pairs.has(name)) {
        const expected = 'entries only for parameters with slots in the weights';
        problems.push({ kind: 'unexpected', name: `parameterSteps.${name}`, checkpoint: String(count), expected });
      } else if (!isCount(count) || count > state.step) {
        const expected = `an integer in [0, step = ${state.step}]`;
        problems.push({ kind: 'field', name: `parameterSteps.${name}`, checkpoint: String(count), expected });
      }
    }
    if (problems.length > 0) throw new CheckpointMismatchError('AdamW optimizer state', problems);

    for (const [name, slots] of this.slots) {
      if (!pairs.has(name)) {
        tf.dispose([slots.m, slots.v]);
        this.slots.delete(name);
      }
    }
    for (const [name, pair] of pairs) {
      const count = parameterSteps[name] ?? state.step;
      const existing = this.slots.get(name);
      // Both are defined and valid: checked above.
      const m = pair.m as tf.Tensor;
      const v = pair.v as tf.Tensor;
      if (existing === undefined) {
        this.slots.set(name, { m: tf.variable(m, false), v: tf.variable(v, false), count });
      } else {
        // Assigning a variable to itself would free its data (restore(optimizer.weights(), …) on the same optimizer).
        if (existing.m !== m) existing.m.assign(m);
        if (existing.v !== v) existing.v.assign(v);
        existing.count = count;
      }
    }
    this.stepCount = state.step;
  }

  /** Frees every moment slot. The optimizer stays usable (slots are recreated on the next update). */
  dispose(): void {
    for (const slots of this.slots.values()) tf.dispose([slots.m, slots.v]);
    this.slots.clear();
  }

  private slotsOf(parameter: Parameter): Slots {
    let slots = this.slots.get(parameter.name);
    if (slots === undefined) {
      // Not trainable: tf.variableGrads() without a list must not differentiate the moments.
      slots = {
        m: tf.variable(tf.zerosLike(parameter.variable), false),
        v: tf.variable(tf.zerosLike(parameter.variable), false),
        count: 0,
      };
      this.slots.set(parameter.name, slots);
    }
    return slots;
  }

  /** [p', m', v'] by the fused kernel (one kernel; see adamw-update-kernel.ts). */
  private fusedUpdate(parameter: Parameter, slots: Slots, g: tf.Tensor, coefficient: Coefficients): [tf.Tensor, tf.Tensor, tf.Tensor] {
    const attrs: AdamWUpdateAttrs = {
      beta1: this.beta1,
      oneMinusBeta1: 1 - this.beta1,
      beta2: this.beta2,
      oneMinusBeta2: 1 - this.beta2,
      stepSize: coefficient.stepSize,
      epsilonHat: coefficient.epsilonHat,
      decay: coefficient.decay ?? 1,
    };
    const inputs = { p: parameter.variable, m: slots.m, v: slots.v, g };
    return tf.engine().runKernel(adamWUpdateKernelName, inputs, attrs as unknown as tf.NamedAttrMap) as [tf.Tensor, tf.Tensor, tf.Tensor];
  }

  /** [p', m', v'] op by op in float32 (any backend). Call inside the update's tidy. */
  private tensorUpdate(parameter: Parameter, slots: Slots, g: tf.Tensor, coefficient: Coefficients): [tf.Tensor, tf.Tensor, tf.Tensor] {
    coefficient.scalars ??= {
      stepSize: tf.scalar(coefficient.stepSize),
      epsilonHat: tf.scalar(coefficient.epsilonHat),
      decay: coefficient.decay === undefined ? undefined : tf.scalar(coefficient.decay),
    };
    const { stepSize, epsilonHat, decay } = coefficient.scalars;
    const m = tf.add(tf.mul(slots.m, this.beta1), tf.mul(g, 1 - this.beta1));
    const v = tf.add(tf.mul(slots.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
    const update = tf.div(tf.mul(m, stepSize), tf.add(tf.sqrt(v), epsilonHat));
    const decayed = decay === undefined ? parameter.variable : tf.mul(parameter.variable, decay);
    return [tf.sub(decayed, update), m, v];
  }

  /** Bias correction folded into two scalars: m̂/(√v̂ + ε) = m · √c2 / c1 / (√v + ε·√c2), exactly. */
  private coefficients(entry: Entry, t: number): Coefficients {
    const learningRate = this.currentLearningRate * entry.learningRateMultiplier;
    const correction1 = 1 - this.beta1 ** t;
    const sqrtCorrection2 = Math.sqrt(1 - this.beta2 ** t);
    return {
      stepSize: (learningRate * sqrtCorrection2) / correction1,
      epsilonHat: this.epsilon * sqrtCorrection2,
      decay: entry.weightDecay === 0 ? undefined : 1 - learningRate * entry.weightDecay,
    };
  }

  private someNames(): string {
    const names = [...this.entries.keys()].slice(0, 3);
    return names.length === 0 ? '' : ` (e.g. ${names.map((name) => `'${name}'`).join(', ')})`;
  }
}

function checkNonNegative(key: string, value: number): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
    throw new InvalidConfigError(key, value, 'a finite number ≥ 0');
  }
  return value;
}

function checkBeta(key: string, value: number): number {
  if (!(typeof value === 'number' && value >= 0 && value < 1)) {
    throw new InvalidConfigError(key, value, 'a number in [0, 1)');
  }
  return value;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function describe(tensor: tf.Tensor | undefined): string {
  return tensor === undefined ? '?' : `${tensor.dtype} [${tensor.shape.join(', ')}]`;
}
