/**
 * Named variables of a network. tfjs variable names are global to the
 * process, so the variables themselves are left unnamed and this registry
 * holds the names: stable, hierarchical (`block1/conv2/filter`), and the keys
 * of serialised weights, checkpoints and optimizer slots.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../core/random.js';
import type { Initializer } from './init.js';

/**
 * `trainable`: updated by the optimizer; `state`: updated by the forward pass
 * (batch-norm running statistics); `frozen`: part of the model and its
 * checkpoints but never updated (a backbone trained only through its head).
 */
export type ParamKind = 'trainable' | 'state' | 'frozen';

export interface NamedVariable {
  readonly name: string;
  readonly kind: ParamKind;
  readonly variable: tf.Variable;
}

export class ParamRegistry {
  private readonly byName = new Map<string, NamedVariable>();
  /** Variables created elsewhere (an imported Layers model's) that their owner disposes. */
  private readonly borrowed = new Set<tf.Variable>();

  /** `seed` keys every initialiser: the values of `a/b/w` depend on (seed, 'a/b/w') only, not on build order. */
  constructor(readonly seed: number) {}

  add(name: string, kind: ParamKind, shape: readonly number[], init: Initializer): tf.Variable {
    if (this.byName.has(name)) throw new Error(`parameter ${name} is defined twice`);
    const values = init(Rng.keyed(this.seed, 'init', name), shape);
    const initial = tf.tensor(values, [...shape], 'float32');
    const variable = tf.variable(initial, kind === 'trainable');
    initial.dispose();
    this.byName.set(name, { name, kind, variable });
    return variable;
  }

  /**
   * Registers a variable that another owner created and disposes (a Layers
   * model's weight), so optimizers, checkpoints and bundles see it by name.
   */
  adopt(name: string, kind: ParamKind, variable: tf.Variable): void {
    if (this.byName.has(name)) throw new Error(`parameter ${name} is defined twice`);
    this.byName.set(name, { name, kind, variable });
    this.borrowed.add(variable);
  }

  /** Every variable in definition order. */
  all(): readonly NamedVariable[] {
    return [...this.byName.values()];
  }

  trainable(): readonly NamedVariable[] {
    return this.all().filter((p) => p.kind === 'trainable');
  }

  state(): readonly NamedVariable[] {
    return this.all().filter((p) => p.kind === 'state');
  }

  get(name: string): NamedVariable | undefined {
    return this.byName.get(name);
  }

  /** Number of trainable scalars (what papers report as "parameters"). */
  countTrainable(): number {
    return this.trainable().reduce((n, p) => n + p.variable.size, 0);
  }

  dispose(): void {
    for (const p of this.byName.values()) if (!this.borrowed.has(p.variable)) p.variable.dispose();
    this.byName.clear();
    this.borrowed.clear();
  }
}

/** A path prefix within a registry, handed down while a network is built. */
export class ParamScope {
  constructor(
    readonly registry: ParamRegistry,
    readonly path: string = '',
  ) {}

  child(name: string): ParamScope {
    return new ParamScope(this.registry, this.qualify(name));
  }

  param(name: string, shape: readonly number[], init: Initializer): tf.Variable {
    return this.registry.add(this.qualify(name), 'trainable', shape, init);
  }

  state(name: string, shape: readonly number[], init: Initializer): tf.Variable {
    return this.registry.add(this.qualify(name), 'state', shape, init);
  }

  private qualify(name: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`parameter name ${JSON.stringify(name)} must be letters, digits, '_', '.' or '-'`);
    return this.path ? `${this.path}/${name}` : name;
  }
}
