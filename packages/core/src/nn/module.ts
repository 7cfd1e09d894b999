import * as tf from '@tensorflow/tfjs-core';

import { InvalidConfigError } from '../errors/invalid-config-error.js';

/** A trainable tensor with its hierarchical name (`vision.blocks.3.attn.qkv.weight`) and optimizer hints. */
export interface Parameter {
  readonly name: string;
  readonly variable: tf.Variable;
  /** False for biases, norms and embeddings of positions/types: decoupled weight decay skips them. */
  readonly weightDecay: boolean;
}

/** Tensors keyed by hierarchical parameter name (gradients, checkpoints, EMA copies). */
export type NamedTensors = Record<string, tf.Tensor>;

let variableCounter = 0;

/**
 * Base class of every layer and model. A module owns tfjs variables and child modules, each registered under a
 * short name; `parameters()` walks the tree and returns them with dotted hierarchical names, stable across runs and
 * instances, so that optimizers, checkpoints and gradient hooks (GM-Coord) select groups by name prefix.
 *
 * tfjs variable names are process-unique and meaningless (two models may coexist); always address parameters by
 * their hierarchical name.
 *
 * Ownership: a module owns its variables; `dispose()` frees them and those of its children.
 */
export abstract class Module {
  private readonly ownParameters = new Map<string, Parameter>();
  private readonly children = new Map<string, Module>();
  private isTraining = true;

  /** True while training (dropout active). Set on the whole tree with `train()` / `eval()`. */
  get training(): boolean {
    return this.isTraining;
  }

  train(training = true): this {
    this.isTraining = training;
    for (const child of this.children.values()) child.train(training);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Registers a trainable tensor. The module takes ownership of `initial` (it becomes the variable's value and is
   * disposed with it).
   */
  protected addParameter(name: string, initial: tf.Tensor, options: { weightDecay?: boolean } = {}): tf.Variable {
    checkName(name, this.ownParameters, this.children);
    const variable = tf.variable(initial, true, `umd_${variableCounter++}_${name}`);
    initial.dispose();
    this.ownParameters.set(name, { name, variable, weightDecay: options.weightDecay ?? true });
    return variable;
  }

  /** Registers a child module under `name`; its parameters appear as `name.<child parameter>`. */
  protected addModule<M extends Module>(name: string, module: M): M {
    checkName(name, this.ownParameters, this.children);
    this.children.set(name, module);
    return module;
  }

  /** Every parameter of this module and its descendants, in registration order, with hierarchical names. */
  parameters(): Parameter[] {
    const out: Parameter[] = [];
    this.collect('', out);
    return out;
  }

  /** Parameters keyed by hierarchical name (a fresh Map; the variables are the module's own, not copies). */
  parameterMap(): Map<string, tf.Variable> {
    return new Map(this.parameters().map((parameter) => [parameter.name, parameter.variable]));
  }

  /** Number of scalar weights. */
  parameterCount(): number {
    return this.parameters().reduce((total, parameter) => total + parameter.variable.size, 0);
  }

  /** Frees every variable of this module and its descendants. */
  dispose(): void {
    for (const parameter of this.ownParameters.values()) parameter.variable.dispose();
    for (const child of this.children.values()) child.dispose();
    this.ownParameters.clear();
    this.children.clear();
  }

  private collect(prefix: string, out: Parameter[]): void {
    for (const parameter of this.ownParameters.values()) {
      out.push({ ...parameter, name: prefix + parameter.name });
    }
    for (const [name, child] of this.children) child.collect(`${prefix}${name}.`, out);
  }
}

function checkName(name: string, parameters: Map<string, unknown>, children: Map<string, unknown>): void {
  if (!/^[A-Za-z0-9_]+$/.test(name)) {
    throw new InvalidConfigError('module name', name, 'letters, digits and underscores (dots are added by nesting)');
  }
  if (parameters.has(name) || children.has(name)) {
    throw new InvalidConfigError('module name', name, 'a name not already used in this module');
  }
}
