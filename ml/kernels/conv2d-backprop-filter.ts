/**
 * Conv2DBackpropFilter for wasm: dW[t][ci][co] = sum_p x[src(p,t)][ci] * dy[p][co],
 * one pass of outer-product tiles over the output pixels (w2s_conv2d_backprop_filter),
 * or Winograd F(3x3,4x4) for 3x3 stride-1 convolutions (w2s_winograd_filter_grad).
 */
import type * as tf from '@tensorflow/tfjs';
import { convGeometry, directConvShapeArgs, requireFloat32, winogradTileFor, type PadAttr } from './conv-geometry.js';
import { nativeKernels } from './native/module.js';

interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: PadAttr;
  dataFormat?: string;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

function conv2dBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { x, dy } = args.inputs;
  if (!x || !dy) throw new Error('Conv2DBackpropFilter needs inputs x and dy');
  requireFloat32('Conv2DBackpropFilter', x, dy);
  const attrs = args.attrs as unknown as BackpropFilterAttrs;
  const g = convGeometry('Conv2DBackpropFilter', x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, attrs.dataFormat);
  const native = nativeKernels(args.backend);
  const out = native.backend.makeOutput([...attrs.filterShape], 'float32');
  const k = native.exports;
  const tile = winogradTileFor(g);
  if (tile) {
    const scratch = native.scratch(k.w2s_winograd_filter_grad_scratch!(g.inChannels, g.outChannels, tile));
    k.w2s_winograd_filter_grad!(native.address(x), native.address(dy), native.address(out), scratch, g.batch, g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, g.outChannels, g.padTop, g.padLeft, tile);
    return out;
  }
  const scratch = native.scratch(k.w2s_conv2d_backprop_filter_scratch(g.inChannels, g.outChannels, g.filterHeight, g.filterWidth));
  k.w2s_conv2d_backprop_filter(native.address(x), native.address(dy), native.address(out), scratch, ...directConvShapeArgs(g), g.dilationHeight, g.dilationWidth, g.padTop, g.padLeft);
  return out;
}

export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc,
};
