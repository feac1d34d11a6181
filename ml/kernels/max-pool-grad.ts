/**
 * MaxPoolGrad for wasm (w2s_max_pool_grad): routes each gradient to the first
 * maximum of its window, as the cpu backend and PyTorch do. Replaces the
 * shipped kernel, which misroutes gradients of windows whose maximum is not
 * positive (all of them after a ReLU that zeroed a window).
 */
import * as tf from '@tensorflow/tfjs';
import { requireFloat32 } from './conv-geometry.js';
import { nativeKernels } from './native/module.js';

interface MaxPoolGradAttrs {
  filterSize: [number, number] | number;
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function maxPoolGrad(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { dy, input } = args.inputs;
  if (!dy || !input) throw new Error('MaxPoolGrad needs inputs dy and input');
  requireFloat32('MaxPoolGrad', dy, input);
  const attrs = args.attrs as unknown as MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], attrs.filterSize, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
  const native = nativeKernels(args.backend);
  const dx = native.backend.makeOutput([...input.shape], 'float32');
  native.exports.w2s_max_pool_grad!(
    native.address(input),
    native.address(dy),
    native.address(dx),
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.dilationHeight,
    info.dilationWidth,
    info.padInfo.top,
    info.padInfo.left,
  );
  return dx;
}

export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: 'MaxPoolGrad',
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as tf.KernelFunc,
};
