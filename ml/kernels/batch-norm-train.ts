/**
 * Batch norm over batch statistics (training mode), optionally followed by
 * ReLU, as one op with its own gradient:
 *
 *   y = relu?((x - mean) / sqrt(var + eps) * gamma + beta), mean and var
 *   (biased) over every axis but the last.
 *
 * On wasm it is two native kernels (W2sBatchNormTrain forward,
 * W2sBatchNormTrainGrad backward) that read each activation two or three
 * times; the same math on tfjs ops makes about a dozen passes plus ReLU's
 * two. On the native backend it is libtensorflow's fused kernels
 * (./tensorflow/batch-norm-train.ts). Other backends get the composite form
 * with the closed-form gradient
 * dx = gamma/sigma * (dz - mean(dz) - xhat * mean(dz * xhat)).
 * The batch mean and variance are returned for the running statistics
 * (no gradient flows through them).
 */
import * as tf from '@tensorflow/tfjs';
import { nativeKernels } from './native/module.js';
import { nativeBatchNormTrain } from './tensorflow/batch-norm-train.js';
import { nativeOps } from './tensorflow/native-ops.js';

export const BATCH_NORM_TRAIN = 'W2sBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'W2sBatchNormTrainGrad';

export interface BatchNormTrainResult<T extends tf.Tensor> {
  readonly y: T;
  /** Batch mean per channel. */
  readonly mean: tf.Tensor1D;
  /** Biased batch variance per channel. */
  readonly variance: tf.Tensor1D;
}

type Args = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap };

interface TrainAttrs {
  epsilon: number;
  relu: boolean;
}

function rowsAndChannels(shape: readonly number[]): [number, number] {
  const channels = shape.at(-1)!;
  return [shape.reduce((a, b) => a * b, 1) / channels, channels];
}

function forwardKernel(args: Args): tf.TensorInfo[] {
  const { x, gamma, beta } = args.inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
  const { epsilon, relu } = args.attrs as unknown as TrainAttrs;
  const [rows, channels] = rowsAndChannels(x.shape);
  const native = nativeKernels(args.backend);
  const y = native.backend.makeOutput([...x.shape], 'float32');
  const mean = native.backend.makeOutput([channels], 'float32');
  const variance = native.backend.makeOutput([channels], 'float32');
  const invStd = native.backend.makeOutput([channels], 'float32');
  const scratch = native.scratch(7 * (channels + 4) * 4 + 64);
  native.exports.w2s_bn_train_forward!(
    native.address(x),
    native.address(gamma),
    native.address(beta),
    native.address(y),
    native.address(mean),
    native.address(variance),
    native.address(invStd),
    scratch,
    rows,
    channels,
    epsilon,
    relu ? 1 : 0,
  );
  return [y, mean, variance, invStd];
}

function backwardKernel(args: Args): tf.TensorInfo[] {
  const { dy, x, gamma, y, mean, invStd } = args.inputs as Record<string, tf.TensorInfo>;
  const { relu } = args.attrs as unknown as TrainAttrs;
  const [rows, channels] = rowsAndChannels(x!.shape);
  const native = nativeKernels(args.backend);
  const dx = native.backend.makeOutput([...x!.shape], 'float32');
  const dgamma = native.backend.makeOutput([channels], 'float32');
  const dbeta = native.backend.makeOutput([channels], 'float32');
  const scratch = native.scratch(7 * (channels + 4) * 4 + 64);
  native.exports.w2s_bn_train_backward!(
    native.address(dy!),
    native.address(x!),
    native.address(gamma!),
    native.address(y!),
    native.address(mean!),
    native.address(invStd!),
    native.address(dx),
    native.address(dgamma),
    native.address(dbeta),
    scratch,
    rows,
    channels,
    relu ? 1 : 0,
  );
  return [dx, dgamma, dbeta];
}

export const batchNormTrainConfig: tf.KernelConfig = { kernelName: BATCH_NORM_TRAIN, backendName: 'wasm', kernelFunc: forwardKernel as unknown as tf.KernelFunc };
export const batchNormTrainGradConfig: tf.KernelConfig = { kernelName: BATCH_NORM_TRAIN_GRAD, backendName: 'wasm', kernelFunc: backwardKernel as unknown as tf.KernelFunc };

/** Saved for the backward pass: inputs x, gamma; outputs y, mean, invStd. */
export const batchNormTrainGradient: tf.GradConfig = {
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [true, true, false, true],
  gradFunc: (dys: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const dy = Array.isArray(dys) ? dys[0]! : dys;
    const [x, gamma, y, mean, invStd] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const [dx, dgamma, dbeta] = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD, { dy, x, gamma, y, mean, invStd }, attrs) as tf.Tensor[];
    return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
  },
};

function composite<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number, relu: boolean): BatchNormTrainResult<T> {
  const axes = x.shape.map((_, i) => i).slice(0, -1);
  let mean: tf.Tensor1D | undefined;
  let variance: tf.Tensor1D | undefined;
  const forward = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xs, g, b, save] = args as [T, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const moments = tf.moments(xs, axes);
    mean = tf.keep(moments.mean as tf.Tensor1D);
    variance = tf.keep(moments.variance as tf.Tensor1D);
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    const z = tf.add(tf.mul(tf.mul(tf.sub(xs, mean), invStd), g), b);
    const value = relu ? tf.relu(z) : z;
    save([xs, mean, invStd, g, value]);
    const gradFunc = (dy: tf.Tensor, savedTensors: tf.Tensor[]): tf.Tensor[] => {
      const [xv, mu, inv, gv, yv] = savedTensors as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      const n = xv.size / xv.shape.at(-1)!;
      const dz = relu ? tf.mul(dy, tf.step(yv)) : dy;
      const xhat = tf.mul(tf.sub(xv, mu), inv);
      const dBeta = tf.sum(dz, axes);
      const dGamma = tf.sum(tf.mul(dz, xhat), axes);
      const centred = tf.sub(tf.sub(dz, tf.div(dBeta, n)), tf.mul(xhat, tf.div(dGamma, n)));
      return [tf.mul(centred, tf.mul(gv, inv)), dGamma, dBeta];
    };
    return { value: value as T, gradFunc };
  });
  const y = forward(x, gamma, beta) as T;
  if (!mean || !variance) throw new Error('batchNormTrain: forward pass produced no statistics');
  return { y, mean, variance };
}

function hasWasmBatchNormTrain(): boolean {
  return tf.getBackend() === 'wasm' && tf.getKernel(BATCH_NORM_TRAIN, 'wasm') !== undefined;
}

/** True when the active backend runs the op as fused kernels: wasm with the w2s kernels installed, or libtensorflow's. */
export function hasNativeBatchNormTrain(): boolean {
  return hasWasmBatchNormTrain() || nativeOps() !== undefined;
}

/** Training-mode batch norm (+ ReLU) over the last axis; see the module comment. */
export function batchNormTrain<T extends tf.Tensor>(x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number, relu = false): BatchNormTrainResult<T> {
  const channels = x.shape.at(-1);
  if (gamma.size !== channels || beta.size !== channels) {
    throw new Error(`batchNormTrain: gamma (${gamma.size}) and beta (${beta.size}) must have one value per channel (${channels})`);
  }
  const fusable = x.dtype === 'float32' && x.size > 0;
  const ops = fusable && (x.rank === 4 || x.rank === 2) ? nativeOps() : undefined;
  if (ops) return nativeBatchNormTrain(ops, x, gamma, beta, epsilon, relu);
  if (!fusable || !hasWasmBatchNormTrain()) return composite(x, gamma, beta, epsilon, relu);
  const [y, mean, variance, invStd] = tf.engine().runKernel(BATCH_NORM_TRAIN, { x, gamma, beta }, { epsilon, relu }) as tf.Tensor[];
  invStd!.dispose();
  return { y: y as T, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
}
