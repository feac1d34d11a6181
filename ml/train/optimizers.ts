/**
 * SGD (momentum, Nesterov), Adam and AdamW written out on tf.Variables, with
 * PyTorch's update rules, so that the slots are ours to name and serialise
 * and a resumed run continues with exactly the state it stopped with.
 *
 * - sgd:   g += wd*p; buf = mu*buf + g; p -= lr * (nesterov ? g + mu*buf : buf)
 * - adam:  g += wd*p; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
 *          p -= lr * (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
 * - adamw: p *= 1 - lr*wd, then the adam step without the L2 term.
 */
import * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig } from '../../schemas/training.js';
import { concatFlat, flatteningPays, splitLike } from '../nn/flat.js';
import type { NamedVariable } from '../nn/params.js';

/** Gradients keyed by parameter name (the ParamRegistry name, not the tfjs variable name). */
export type NamedGradients = ReadonlyMap<string, tf.Tensor>;

export interface Optimizer {
  readonly config: OptimizerConfig;
  /** Optimizer state, named `<param>/<slot>`, for checkpoints. */
  readonly slots: readonly NamedVariable[];
  /** Updates every parameter that has a gradient. `step` counts updates from 1 (Adam's bias correction). */
  apply(gradients: NamedGradients, lr: number, step: number): void;
  dispose(): void;
}

/** What one update reads: the parameter(s), their slots and gradient, each one tensor. */
interface Operands {
  readonly param: tf.Tensor;
  readonly state: readonly tf.Tensor[];
}

interface Slot {
  readonly param: NamedVariable;
  readonly state: readonly tf.Variable[];
}

/**
 * Parameters of at least this many elements are updated alone. Flattening
 * saves ~6 eager ops (~100 us of dispatch on the native backend) per tensor
 * but copies every element about five times more (into the concatenations,
 * back out of the splits); past ~64k elements the copies cost more than the
 * dispatch saved (the `cnn`'s 3136x128 dense weight made its step slower).
 */
const FLATTEN_BELOW = 65_536;

/**
 * `flatten`: update the small parameters as one concatenated tensor; by
 * default where that pays (`flatteningPays`). The weights are the same
 * either way, which is why a test may ask for it on any backend.
 */
export function createOptimizer(config: OptimizerConfig, params: readonly NamedVariable[], flatten: boolean = flatteningPays()): Optimizer {
  const slotNames = config.name === 'sgd' ? ['momentum'] : ['m', 'v'];
  // One variable per parameter and slot, shaped like it, which is how
  // checkpoints, replicas and pretraining name, shape and restore slots.
  // Keeping each slot as one flat variable instead would save its Reshapes,
  // Concat and Split in `apply`, 46 of ~590 eager ops of a native resnet20
  // step (BENCHMARKS.md, Step 16), at the price of per-parameter views for
  // everything that reads or writes slots.
  const slots: Slot[] = params.map((param) => ({ param, state: slotNames.map(() => zerosVariable(param.variable)) }));
  const named: NamedVariable[] = slots.flatMap(({ param, state }) =>
    state.map((variable, i) => ({ name: `${param.name}/${slotNames[i]}`, kind: 'state' as const, variable })),
  );
  const update = config.name === 'sgd' ? sgdUpdate : adamUpdate;
  return {
    config,
    slots: named,
    apply(gradients, lr, step) {
      const present = slots.filter((slot) => gradients.has(slot.param.name));
      // Small parameters at once: the update's five to eight elementwise ops
      // run on them concatenated instead of once per parameter. Per element
      // they are the same float32 operations on the same operands, so weights
      // and slots are bit-identical to a per-parameter update; what changes is
      // the number of eager ops, which on the native backend cost ~20 us of
      // dispatch each whatever their size.
      const small = flatten ? present.filter((slot) => slot.param.variable.size < FLATTEN_BELOW) : [];
      const alone = flatten ? present.filter((slot) => slot.param.variable.size >= FLATTEN_BELOW) : present;
      const groups = [...(small.length > 0 ? [small] : []), ...alone.map((slot) => [slot])];
      // One scalar tensor per constant for the step: a number operand becomes
      // a fresh tensor on every op, and on the native backend each is a
      // host-to-library copy. The values, and so every result, are the same.
      const constants = new ScalarCache();
      try {
        for (const group of groups) {
          tf.tidy(() => {
            // A group of one is updated in its own shape: flattening it would only add Reshapes.
            const gather = group.length === 1 ? (tensors: readonly tf.Tensor[]) => tensors[0]! : concatFlat;
            const scatter = group.length === 1 ? (variables: readonly tf.Variable[], values: tf.Tensor) => variables[0]!.assign(values) : assignFlat;
            const params = group.map((slot) => slot.param.variable);
            const states = slotNames.map((_, i) => group.map((slot) => slot.state[i]!));
            const next = update(config, { param: gather(params), state: states.map(gather) }, gather(group.map((slot) => gradients.get(slot.param.name)!)), lr, step, constants);
            scatter(params, next.param);
            next.state.forEach((values, i) => scatter(states[i]!, values));
          });
        }
      } finally {
        constants.dispose();
      }
    },
    dispose() {
      for (const { variable } of named) variable.dispose();
    },
  };
}

function assignFlat(variables: readonly tf.Variable[], values: tf.Tensor): void {
  splitLike(values, variables).forEach((value, i) => variables[i]!.assign(value));
}

/** float32 scalars by value, made on first use (kept through the step's tidy) and freed by `dispose`. */
class ScalarCache {
  private readonly scalars = new Map<number, tf.Scalar>();

  of(value: number): tf.Scalar {
    let scalar = this.scalars.get(value);
    if (!scalar) {
      scalar = tf.keep(tf.scalar(value, 'float32'));
      this.scalars.set(value, scalar);
    }
    return scalar;
  }

  dispose(): void {
    for (const scalar of this.scalars.values()) scalar.dispose();
    this.scalars.clear();
  }
}

function zerosVariable(like: tf.Variable): tf.Variable {
  const zeros = tf.zerosLike(like);
  const variable = tf.variable(zeros, false);
  zeros.dispose();
  return variable;
}

function sgdUpdate(config: OptimizerConfig, { param: p, state }: Operands, grad: tf.Tensor, lr: number, _step: number, c: ScalarCache): Operands {
  const buf = state[0]!;
  const g = config.weightDecay > 0 ? tf.add(grad, tf.mul(p, c.of(config.weightDecay))) : grad;
  const nextBuf = tf.add(tf.mul(buf, c.of(config.momentum)), g);
  const direction = config.nesterov ? tf.add(g, tf.mul(nextBuf, c.of(config.momentum))) : nextBuf;
  return { param: tf.sub(p, tf.mul(direction, c.of(lr))), state: [nextBuf] };
}

function adamUpdate(config: OptimizerConfig, { param: p, state }: Operands, grad: tf.Tensor, lr: number, step: number, c: ScalarCache): Operands {
  const { beta1, beta2, epsilon, weightDecay } = config;
  const [m, v] = state as [tf.Tensor, tf.Tensor];
  const decoupled = config.name === 'adamw';
  const g = !decoupled && weightDecay > 0 ? tf.add(grad, tf.mul(p, c.of(weightDecay))) : grad;
  const nextM = tf.add(tf.mul(m, c.of(beta1)), tf.mul(g, c.of(1 - beta1)));
  const nextV = tf.add(tf.mul(v, c.of(beta2)), tf.mul(tf.square(g), c.of(1 - beta2)));
  const mHat = tf.div(nextM, c.of(1 - beta1 ** step));
  const vHat = tf.div(nextV, c.of(1 - beta2 ** step));
  const base = decoupled && weightDecay > 0 ? tf.mul(p, c.of(1 - lr * weightDecay)) : p;
  return { param: tf.sub(base, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), c.of(epsilon))), c.of(lr))), state: [nextM, nextV] };
}
