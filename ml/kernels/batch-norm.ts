/**
 * FusedBatchNorm for wasm on w2s_batch_norm when the statistics, offset and
 * scale are per channel (the innermost axis), as every model here uses them;
 * other shapes go to the shipped kernel.
 */
import type * as tf from '@tensorflow/tfjs';
import { nativeKernels } from './native/module.js';
import { runShipped } from './shipped.js';

type Args = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap };

function size(info: tf.TensorInfo): number {
  return info.shape.reduce((a, b) => a * b, 1);
}

function batchNorm(args: Args): tf.TensorInfo {
  const { x, mean, variance, offset, scale } = args.inputs;
  if (!x || !mean || !variance) throw new Error('FusedBatchNorm needs inputs x, mean and variance');
  const channels = x.shape.at(-1) ?? 1;
  const perChannel = (t: tf.TensorInfo | undefined) => !t || (t.dtype === 'float32' && size(t) === channels && t.shape.length <= x.shape.length);
  const total = size(x);
  if (x.dtype !== 'float32' || total === 0 || ![mean, variance, offset, scale].every(perChannel)) return runShipped('FusedBatchNorm', args);
  const native = nativeKernels(args.backend);
  const out = native.backend.makeOutput([...x.shape], 'float32');
  const scratch = native.scratch(8 * (channels + 4) + 64);
  native.exports.w2s_batch_norm!(
    native.address(x),
    native.address(mean),
    native.address(variance),
    offset ? native.address(offset) : 0,
    scale ? native.address(scale) : 0,
    native.address(out),
    scratch,
    total / channels,
    channels,
    Number(args.attrs.varianceEpsilon),
  );
  return out;
}

export const fusedBatchNormConfig: tf.KernelConfig = { kernelName: 'FusedBatchNorm', backendName: 'wasm', kernelFunc: batchNorm as unknown as tf.KernelFunc };
