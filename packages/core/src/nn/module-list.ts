import { Module } from './module.js';

/** An ordered list of child modules named `0`, `1`, … (parameters `blocks.0.attn.qkv.weight`, …). */
export class ModuleList<M extends Module> extends Module {
  readonly items: readonly M[];

  constructor(modules: readonly M[]) {
    super();
    this.items = modules.map((module, index) => this.addModule(String(index), module));
  }

  get length(): number {
    return this.items.length;
  }

  at(index: number): M | undefined {
    return this.items.at(index);
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
}

/**
 * A named set of child modules that can grow after construction (task heads, pre-training heads): `register`
 * adds one under a name, so its parameters appear as `<this>.<name>.…`.
 */
export class ModuleDict extends Module {
  private readonly entries = new Map<string, Module>();

  register<M extends Module>(name: string, module: M): M {
    this.entries.set(name, this.addModule(name, module));
    return module;
  }

  get(name: string): Module | undefined {
    return this.entries.get(name);
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  override dispose(): void {
    super.dispose();
    this.entries.clear();
  }
}
