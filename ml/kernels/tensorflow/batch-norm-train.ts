/**
 * Training-mode batch norm (+ ReLU) on the native backend as libtensorflow's
 * own fused kernels: FusedBatchNormV3 forward, FusedBatchNormGradV3 and
 * ReluGrad backward. The composite form (moments, batchNorm, and the
 * closed-form gradient on tfjs ops) costs about fifteen eager ops per layer
 * each way, each a pass over the activation plus ~20 us of dispatch; these
 * are two or three.
 *
 * FusedBatchNormV3 in training mode returns the batch mean and the
 * Bessel-corrected variance, and keeps the biased variance in its second
 * reserve space, which is what the running statistics are built from here
 * (as on the other backends).
 */
import * as tf from '@tensorflow/tfjs';
import type { NativeOps } from './native-ops.js';

export interface NativeBatchNormResult<T extends tf.Tensor> {
  readonly y: T;
  readonly mean: tf.Tensor1D;
  /** Biased batch variance per channel. */
  readonly variance: tf.Tensor1D;
}

/** `x` is NHWC (rank 4) or [rows, channels] (rank 2, run as [rows, 1, 1, channels]). */
export function nativeBatchNormTrain<T extends tf.Tensor>(ops: NativeOps, x: T, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number, relu: boolean): NativeBatchNormResult<T> {
  const attrs = [ops.float32('T'), ops.float32('U'), ops.float('epsilon', epsilon), ops.string('data_format', 'NHWC'), ops.bool('is_training', true)];
  const shape = x.shape;
  let mean: tf.Tensor1D | undefined;
  let variance: tf.Tensor1D | undefined;
  const forward = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xs, g, b, save] = args as [T, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const x4 = xs.rank === 4 ? xs : tf.reshape(xs, [shape[0]!, 1, 1, shape.at(-1)!]);
    const none = tf.tensor1d([], 'float32');
    const [normalised, batchMean, , reserveMean, reserveVariance, reserveExtra] = ops.run('FusedBatchNormV3', attrs, [x4, g, b, none, none], 6) as [
      tf.Tensor4D,
      tf.Tensor1D,
      tf.Tensor1D,
      tf.Tensor1D,
      tf.Tensor1D,
      tf.Tensor,
    ];
    mean = tf.keep(batchMean);
    variance = tf.keep(reserveVariance.clone());
    const y4 = relu ? tf.relu(normalised) : normalised;
    save([x4, g, reserveMean, reserveVariance, reserveExtra, y4]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xv, gv, r1, r2, r3, yv] = saved as [tf.Tensor4D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor, tf.Tensor4D];
      const dy4 = dy.rank === 4 ? dy : tf.reshape(dy, yv.shape);
      const dz = relu ? ops.run('ReluGrad', [ops.float32('T')], [dy4, yv], 1)[0]! : dy4;
      const [dx, dGamma, dBeta] = ops.run('FusedBatchNormGradV3', attrs, [dz, xv, gv, r1, r2, r3], 5);
      // A rank-4 input's gradient already has its shape; reshaping it anyway would be one more libtensorflow op per layer.
      return [xs.rank === 4 ? dx! : dx!.reshape(shape), dGamma!, dBeta!];
    };
    return { value: (xs.rank === 4 ? y4 : tf.reshape(y4, shape)) as T, gradFunc };
  });
  const y = forward(x, gamma, beta) as T;
  if (!mean || !variance) throw new Error('batch norm (native): FusedBatchNormV3 produced no statistics');
  return { y, mean, variance };
}
