/**
 * The few layers the model zoo needs, NHWC, written on tf ops with their
 * variables in a ParamRegistry. Convolutions without batch norm fuse bias and
 * ReLU into one kernel; batch norm keeps PyTorch's conventions (momentum 0.1,
 * eps 1e-5, unbiased running variance) so hyper-parameters carry over.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTrain, hasNativeBatchNormTrain } from '../kernels/batch-norm-train.js';
import { heNormalFanOut, ones, uniformFanIn, zeros, type Initializer } from './init.js';
import type { ParamScope } from './params.js';
import type { RunningStatistic } from './running-stats.js';

export interface ForwardOptions {
  /** Batch statistics instead of running statistics in batch norm. */
  readonly training: boolean;
  /**
   * Where batch norm puts its batch statistics in training mode. The caller
   * blends them into new running values (`resolveRunningStatistics`, for all
   * layers at once) and applies those once the step is accepted, so a
   * gradient computation never mutates the model; without a sink the
   * running statistics are left as they are.
   */
  readonly runningStatistics?: RunningStatistic[];
}

export type Activation = 'linear' | 'relu';

export interface Conv2dOptions {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  readonly stride?: number;
  /** Zero padding on every side (PyTorch's `padding`); defaults to kernel/2 rounded down. */
  readonly padding?: number;
  readonly bias?: boolean;
  readonly activation?: Activation;
  readonly init?: Initializer;
}

export class Conv2d {
  readonly filter: tf.Variable;
  readonly bias: tf.Variable | undefined;
  private readonly stride: number;
  private readonly padding: number;
  private readonly activation: Activation;

  constructor(scope: ParamScope, options: Conv2dOptions) {
    const { inChannels, outChannels, kernel } = options;
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? Math.floor(kernel / 2);
    this.activation = options.activation ?? 'linear';
    this.filter = scope.param('filter', [kernel, kernel, inChannels, outChannels], options.init ?? heNormalFanOut);
    this.bias = options.bias ? scope.param('bias', [outChannels], zeros) : undefined;
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    const filter = this.filter as tf.Tensor4D;
    const kernel = filter.shape[0];
    const { input, pad } = convPadding(x, kernel, this.stride, this.padding);
    if (!this.bias && this.activation === 'linear') return tf.conv2d(input, filter, this.stride, pad);
    return tf.fused.conv2d({ x: input, filter, strides: this.stride, pad, bias: this.bias, activation: this.activation });
  }
}

/** Backends whose conv2d kernels take a number of padding pixels. */
const NUMERIC_PAD_BACKENDS: ReadonlySet<string> = new Set(['wasm', 'cpu', 'webgl']);

/**
 * PyTorch-style symmetric zero padding in a form the active backend accepts.
 * The native TensorFlow backend takes only 'same' and 'valid': 0 is 'valid';
 * at stride 1 with an odd kernel k and padding (k-1)/2, 'same' pads exactly
 * that on each side; otherwise (e.g. stride 2, where 'same' would put the
 * odd pixel after instead of before) the input is padded explicitly and the
 * convolution is 'valid'. Every form computes the same numbers.
 */
export function convPadding(x: tf.Tensor4D, kernel: number, stride: number, padding: number): { input: tf.Tensor4D; pad: number | 'same' | 'valid' } {
  if (NUMERIC_PAD_BACKENDS.has(tf.getBackend())) return { input: x, pad: padding };
  if (padding === 0) return { input: x, pad: 'valid' };
  if (stride === 1 && kernel === 2 * padding + 1) return { input: x, pad: 'same' };
  return { input: tf.pad(x, [[0, 0], [padding, padding], [padding, padding], [0, 0]]), pad: 'valid' };
}

export interface BatchNormOptions {
  readonly momentum?: number;
  readonly epsilon?: number;
}

export class BatchNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  private readonly momentum: number;
  private readonly epsilon: number;

  constructor(scope: ParamScope, channels: number, options: BatchNormOptions = {}) {
    this.gamma = scope.param('gamma', [channels], ones);
    this.beta = scope.param('beta', [channels], zeros);
    this.runningMean = scope.state('running_mean', [channels], zeros);
    this.runningVar = scope.state('running_var', [channels], ones);
    this.momentum = options.momentum ?? 0.1;
    this.epsilon = options.epsilon ?? 1e-5;
  }

  /**
   * Normalises `x`, then applies ReLU when `relu` is set. In training mode on
   * a backend with fused batchNormTrain kernels (wasm's, libtensorflow's)
   * normalisation and ReLU are one or two kernels each way; elsewhere the
   * composite form below runs.
   */
  apply(x: tf.Tensor4D, options: ForwardOptions, relu = false): tf.Tensor4D {
    const gamma = this.gamma as tf.Tensor1D;
    const beta = this.beta as tf.Tensor1D;
    if (!options.training) {
      const y = tf.batchNorm4d(x, this.runningMean as tf.Tensor1D, this.runningVar as tf.Tensor1D, beta, gamma, this.epsilon);
      return relu ? tf.relu(y) : y;
    }
    const { y, mean, variance } = hasNativeBatchNormTrain() ? batchNormTrain(x, gamma, beta, this.epsilon, relu) : withRelu(batchNormTraining(x, gamma, beta, this.epsilon), relu);
    if (options.runningStatistics) {
      // PyTorch's update: running = running * (1 - m) + batch * m, with the unbiased batch variance.
      // Kept: they outlive the gradient computation's scopes until the step's statistics are blended.
      const count = x.size / x.shape[3];
      const m = this.momentum;
      options.runningStatistics.push(
        { variable: this.runningMean, observed: tf.keep(mean), decay: 1 - m, rate: m },
        { variable: this.runningVar, observed: tf.keep(variance), decay: 1 - m, rate: (m * count) / Math.max(count - 1, 1) },
      );
    } else {
      mean.dispose();
      variance.dispose();
    }
    return y;
  }
}

export interface DenseOptions {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly activation?: Activation;
  readonly init?: Initializer;
  readonly biasInit?: Initializer;
}

export class Dense {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  private readonly activation: Activation;

  constructor(scope: ParamScope, options: DenseOptions) {
    const { inFeatures, outFeatures } = options;
    this.activation = options.activation ?? 'linear';
    this.weight = scope.param('weight', [inFeatures, outFeatures], options.init ?? uniformFanIn(inFeatures));
    this.bias = scope.param('bias', [outFeatures], options.biasInit ?? uniformFanIn(inFeatures));
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.fused.matMul({ a: x, b: this.weight as tf.Tensor2D, bias: this.bias, activation: this.activation }) as tf.Tensor2D;
  }
}

/**
 * Batch norm over batch statistics with a closed-form backward pass. With
 * xhat = (x - mu) * r, r = 1/sqrt(var + eps), and per-channel means over the
 * batch and pixels,
 *
 *   dx = gamma * r * (dy - mean(dy) - xhat * mean(dy * xhat))
 *      = A * dy + B * x + C,   A = gamma * r,  B = -A * r^2 * cov,  C = -A * mean(dy) - B * mu
 *
 * where cov = mean(dy * x) - mu * mean(dy). Per-channel A, B, C leave three
 * passes over the activation (B * x + C is one batch-norm kernel call) plus
 * the two channel sums, instead of the dozen tiling and broadcasting ops that
 * autodiff through the moments builds; on the wasm backend these passes cost
 * as much as the convolutions.
 * Returns the batch mean and (biased) variance too, for the running statistics.
 */
function batchNormTraining(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): { y: tf.Tensor4D; mean: tf.Tensor1D; variance: tf.Tensor1D } {
  let mean: tf.Tensor1D | undefined;
  let variance: tf.Tensor1D | undefined;
  const forward = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x4, scale, offset, save] = args as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const moments = tf.moments(x4, [0, 1, 2]);
    mean = tf.keep(moments.mean as tf.Tensor1D);
    variance = tf.keep(moments.variance as tf.Tensor1D);
    save([x4, mean, variance, scale]);
    const value = tf.batchNorm4d(x4, mean, variance, offset, scale, epsilon);
    const gradFunc = (dy: tf.Tensor4D, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xs, mu, v, g] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
      const n = xs.size / xs.shape[3];
      const r = tf.rsqrt(tf.add(v, epsilon));
      const dBeta = tf.sum(dy, [0, 1, 2]);
      const meanDy = tf.div(dBeta, n);
      const cov = tf.sub(tf.div(tf.sum(tf.mul(dy, xs), [0, 1, 2]), n), tf.mul(mu, meanDy));
      const dGamma = tf.mul(tf.mul(cov, r), n);
      const a = tf.mul(g, r);
      const b = tf.neg(tf.mul(tf.mul(a, tf.square(r)), cov)) as tf.Tensor1D;
      const c = tf.sub(tf.neg(tf.mul(a, meanDy)), tf.mul(b, mu)) as tf.Tensor1D;
      // B * x + C as batch norm with mean 0, variance 1 and no epsilon.
      const affine = tf.batchNorm4d(xs, tf.zerosLike(mu), tf.onesLike(v), c, b, 0);
      return [tf.add(tf.mul(dy, a), affine), dGamma, dBeta];
    };
    return { value, gradFunc };
  });
  const y = forward(x, gamma, beta) as tf.Tensor4D;
  if (!mean || !variance) throw new Error('batch norm: forward pass produced no statistics');
  return { y, mean, variance };
}

function withRelu<T extends { y: tf.Tensor4D }>(result: T, relu: boolean): T {
  return relu ? { ...result, y: tf.relu(result.y) } : result;
}

/** Conv (no bias) -> batch norm -> optional ReLU, the unit of the BN networks. */
export class ConvBn {
  readonly conv: Conv2d;
  readonly bn: BatchNorm;

  constructor(
    scope: ParamScope,
    options: Omit<Conv2dOptions, 'activation'>,
    private readonly relu: boolean,
  ) {
    this.conv = new Conv2d(scope.child('conv'), options);
    this.bn = new BatchNorm(scope.child('bn'), options.outChannels);
  }

  apply(x: tf.Tensor4D, options: ForwardOptions): tf.Tensor4D {
    return this.bn.apply(this.conv.apply(x), options, this.relu);
  }
}

export function maxPool2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(x, 2, 2, 'valid');
}

export function globalAvgPool(x: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(x, [1, 2]) as tf.Tensor2D;
}

export function flatten(x: tf.Tensor): tf.Tensor2D {
  return tf.reshape(x, [x.shape[0]!, -1]);
}
