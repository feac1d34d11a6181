/**
 * The pieces of a pre-norm transformer encoder over token sequences
 * `[batch, tokens, dim]`: layer norm, exact (erf) GELU, multi-head
 * self-attention and the block that joins them. Written on tf ops with their
 * variables in a ParamRegistry, like ./layers.ts, so the optimizers,
 * checkpoints and tensor files treat them like any other layer.
 *
 * There is no dropout: a forward pass is a pure function of the weights and
 * the input, so training and evaluation run the same graph and a resumed run
 * sees the same values as one that never stopped.
 */
import * as tf from '@tensorflow/tfjs';
import { normal, ones, zeros } from './init.js';
import type { ParamScope } from './params.js';

/** timm's initialisation of transformer weights: N(0, 0.02), biases zero. */
export const TRANSFORMER_INIT = normal(0.02);

/** Layer normalisation over the last axis, PyTorch's eps (1e-5). */
export class LayerNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;

  constructor(
    scope: ParamScope,
    readonly dim: number,
    private readonly epsilon = 1e-5,
  ) {
    this.gamma = scope.param('gamma', [dim], ones);
    this.beta = scope.param('beta', [dim], zeros);
  }

  apply<T extends tf.Tensor>(x: T): T {
    return tf.tidy(() => {
      const axis = x.rank - 1;
      const { mean, variance } = tf.moments(x, axis, true);
      const normalized = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
      return tf.add(tf.mul(normalized, this.gamma), this.beta) as T;
    });
  }
}

/** GELU in its exact form, x * Phi(x) = x/2 * (1 + erf(x / sqrt 2)), as PyTorch's default. */
export function gelu<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)) as T);
}

/** A dense layer over the last axis of a `[batch, tokens, in]` sequence. */
export class TokenDense {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;

  constructor(
    scope: ParamScope,
    readonly inFeatures: number,
    readonly outFeatures: number,
  ) {
    this.weight = scope.param('weight', [inFeatures, outFeatures], TRANSFORMER_INIT);
    this.bias = scope.param('bias', [outFeatures], zeros);
  }

  apply(x: tf.Tensor3D): tf.Tensor3D {
    const [batch, tokens] = x.shape;
    return tf.tidy(() => {
      const flat = tf.reshape(x, [batch * tokens, this.inFeatures]) as tf.Tensor2D;
      const y = tf.fused.matMul({ a: flat, b: this.weight as tf.Tensor2D, bias: this.bias });
      return tf.reshape(y, [batch, tokens, this.outFeatures]) as tf.Tensor3D;
    });
  }
}

/**
 * Multi-head self-attention: one projection to queries, keys and values for
 * all heads, scaled dot-product attention per head, one output projection.
 */
export class MultiHeadSelfAttention {
  private readonly qkv: TokenDense;
  private readonly proj: TokenDense;
  private readonly headDim: number;

  constructor(
    scope: ParamScope,
    readonly dim: number,
    readonly heads: number,
  ) {
    if (!Number.isInteger(dim / heads)) throw new Error(`attention: dim ${dim} is not divisible by ${heads} heads`);
    this.headDim = dim / heads;
    this.qkv = new TokenDense(scope.child('qkv'), dim, 3 * dim);
    this.proj = new TokenDense(scope.child('proj'), dim, dim);
  }

  apply(x: tf.Tensor3D): tf.Tensor3D {
    const [batch, tokens] = x.shape;
    const { heads, headDim, dim } = this;
    return tf.tidy(() => {
      // [batch, tokens, 3 * dim] -> [batch, 3 * heads, tokens, headDim] -> q, k, v of [batch, heads, tokens, headDim].
      // A rank-4 transpose: the wasm backend's rank-5 one is a generic loop, 25x slower.
      const qkv = tf.transpose(tf.reshape(this.qkv.apply(x), [batch, tokens, 3 * heads, headDim]), [0, 2, 1, 3]);
      const [q, k, v] = tf.split(qkv, 3, 1) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(headDim));
      const attended = tf.matMul(tf.softmax(scores), v);
      const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [batch, tokens, dim]) as tf.Tensor3D;
      return this.proj.apply(merged);
    });
  }
}

export interface TransformerBlockOptions {
  readonly dim: number;
  readonly heads: number;
  /** Width of the MLP's hidden layer. */
  readonly hidden: number;
}

/** x + attn(norm(x)), then x + mlp(norm(x)): the pre-norm block of ViT. */
export class TransformerBlock {
  private readonly norm1: LayerNorm;
  private readonly attention: MultiHeadSelfAttention;
  private readonly norm2: LayerNorm;
  private readonly fc1: TokenDense;
  private readonly fc2: TokenDense;

  constructor(scope: ParamScope, { dim, heads, hidden }: TransformerBlockOptions) {
    this.norm1 = new LayerNorm(scope.child('norm1'), dim);
    this.attention = new MultiHeadSelfAttention(scope.child('attn'), dim, heads);
    this.norm2 = new LayerNorm(scope.child('norm2'), dim);
    this.fc1 = new TokenDense(scope.child('fc1'), dim, hidden);
    this.fc2 = new TokenDense(scope.child('fc2'), hidden, dim);
  }

  apply(x: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => {
      const y = tf.add(x, this.attention.apply(this.norm1.apply(x))) as tf.Tensor3D;
      return tf.add(y, this.fc2.apply(gelu(this.fc1.apply(this.norm2.apply(y))))) as tf.Tensor3D;
    });
  }
}
