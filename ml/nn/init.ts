/**
 * Weight initialisers. Values are drawn in JavaScript from core/random, never
 * from a backend's generator, so a model starts from the same weights on
 * every backend and every machine.
 */
import type { Rng } from '../../core/random.js';

export type Initializer = (rng: Rng, shape: readonly number[]) => Float32Array;

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Fan-in and fan-out of a weight: dense `[in, out]`, convolution
 * `[kh, kw, in, out]` (the receptive field multiplies both).
 */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new Error(`fans: a weight has rank >= 2, got shape [${shape.join(', ')}]`);
  const inputs = shape[shape.length - 2]!;
  const outputs = shape[shape.length - 1]!;
  const field = size(shape.slice(0, -2));
  return { fanIn: inputs * field, fanOut: outputs * field };
}

export function constant(value: number): Initializer {
  return (_rng, shape) => new Float32Array(size(shape)).fill(value);
}

export const zeros = constant(0);
export const ones = constant(1);

export function normal(std: number): Initializer {
  return (rng, shape) => {
    const out = new Float32Array(size(shape));
    for (let i = 0; i < out.length; i++) out[i] = std * rng.normal();
    return out;
  };
}

/** He et al. normal init for ReLU networks, scaled by fan-out as in the CIFAR ResNets and VGGs. */
export const heNormalFanOut: Initializer = (rng, shape) => normal(Math.sqrt(2 / fans(shape).fanOut))(rng, shape);

/**
 * Uniform in +-1/sqrt(fanIn): PyTorch's default for linear layers (weights and
 * biases alike), kept so that results compare with the reference code.
 */
export function uniformFanIn(fanIn: number): Initializer {
  const bound = 1 / Math.sqrt(fanIn);
  return (rng, shape) => {
    const out = new Float32Array(size(shape));
    for (let i = 0; i < out.length; i++) out[i] = (2 * rng.nextFloat() - 1) * bound;
    return out;
  };
}
