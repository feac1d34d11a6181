/**
 * Conv2DBackpropInput for wasm: dx[q][ci] = sum_{t,co} dy[dst(q,t)][co] * w[t][ci][co],
 * an indirect GEMM per stride phase (w2s_conv2d_backprop_input), or for 3x3
 * stride-1 convolutions the Winograd forward path on the rotated filter.
 * Replaces the scalar loop tfjs-backend-wasm ships.
 */
import type * as tf from '@tensorflow/tfjs';
import { convGeometry, directConvShapeArgs, requireFloat32, winogradTileFor, type PadAttr } from './conv-geometry.js';
import { nativeKernels } from './native/module.js';

interface BackpropInputAttrs {
  strides: [number, number] | number;
  pad: PadAttr;
  dataFormat?: string;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape: [number, number, number, number];
}

function conv2dBackpropInput(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { dy, filter } = args.inputs;
  if (!dy || !filter) throw new Error('Conv2DBackpropInput needs inputs dy and filter');
  requireFloat32('Conv2DBackpropInput', dy, filter);
  const attrs = args.attrs as unknown as BackpropInputAttrs;
  const g = convGeometry('Conv2DBackpropInput', attrs.inputShape, filter.shape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, attrs.dataFormat);
  const native = nativeKernels(args.backend);
  const out = native.backend.makeOutput([...attrs.inputShape], 'float32');
  const k = native.exports;
  const tile = winogradTileFor(g);
  if (tile) {
    // dx is dy convolved with the filter rotated 180 degrees and its channel axes swapped, padded by 2 - pad.
    const scratch = native.scratch(k.w2s_winograd_conv_scratch!(g.outChannels, g.inChannels, tile));
    k.w2s_winograd_conv!(native.address(dy), native.address(filter), 0, native.address(out), scratch, g.batch, g.outHeight, g.outWidth, g.outChannels, g.inHeight, g.inWidth, g.inChannels, 2 - g.padTop, 2 - g.padLeft, 0, 1, tile);
    return out;
  }
  const scratch = native.scratch(k.w2s_conv2d_backprop_input_scratch(g.inChannels, g.outChannels, g.filterHeight, g.filterWidth));
  k.w2s_conv2d_backprop_input(native.address(dy), native.address(filter), native.address(out), scratch, ...directConvShapeArgs(g), g.padTop, g.padLeft);
  return out;
}

export const conv2dBackpropInputConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInput as unknown as tf.KernelFunc,
};
