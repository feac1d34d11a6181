/**
 * Conv2D and FusedConv2D (bias, ReLU) for wasm: Winograd F(4x4,3x3) for 3x3
 * stride-1 convolutions with enough channels, else w2s_conv2d, the indirect
 * GEMM the gradients use. Replaces XNNPACK's convolution, which re-creates
 * and re-packs its operator whenever the filter tensor changes (every
 * training step). Other activations, non-float32 inputs and NCHW go to the
 * shipped kernels.
 */
import type * as tf from '@tensorflow/tfjs';
import { convGeometry, directConvShapeArgs, winogradTileFor, type PadAttr } from './conv-geometry.js';
import { nativeKernels } from './native/module.js';
import { runShipped } from './shipped.js';

type Args = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap };

interface ConvAttrs {
  strides: [number, number] | number;
  pad: PadAttr;
  dataFormat?: string;
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
}

function conv(name: 'Conv2D' | 'FusedConv2D') {
  return (args: Args): tf.TensorInfo => {
    const { x, filter, bias, preluActivationWeights } = args.inputs;
    if (!x || !filter) throw new Error(`${name} needs inputs x and filter`);
    const attrs = args.attrs as unknown as ConvAttrs;
    const activation = attrs.activation ?? 'linear';
    const outChannels = filter.shape[3]!;
    const supported =
      x.dtype === 'float32' &&
      filter.dtype === 'float32' &&
      (attrs.dataFormat === undefined || attrs.dataFormat === 'NHWC') &&
      (activation === 'linear' || activation === 'relu') &&
      !preluActivationWeights &&
      (!bias || (bias.dtype === 'float32' && bias.shape.reduce((a, b) => a * b, 1) === outChannels && bias.shape.length === 1));
    if (!supported) return runShipped(name, args);
    const g = convGeometry(name, x.shape, filter.shape, attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, attrs.dataFormat);
    const native = nativeKernels(args.backend);
    const out = native.backend.makeOutput([g.batch, g.outHeight, g.outWidth, g.outChannels], 'float32');
    if (g.batch * g.outHeight * g.outWidth * g.outChannels === 0) return out;
    const k = native.exports;
    const relu = activation === 'relu' ? 1 : 0;
    const tile = winogradTileFor(g);
    if (tile) {
      const scratch = native.scratch(k.w2s_winograd_conv_scratch!(g.inChannels, g.outChannels, tile));
      k.w2s_winograd_conv!(native.address(x), native.address(filter), bias ? native.address(bias) : 0, native.address(out), scratch, g.batch, g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, g.outChannels, g.padTop, g.padLeft, relu, 0, tile);
      return out;
    }
    const scratch = native.scratch(k.w2s_conv2d_scratch(g.inChannels, g.outChannels, g.filterHeight, g.filterWidth));
    k.w2s_conv2d(native.address(x), native.address(filter), bias ? native.address(bias) : 0, native.address(out), scratch, ...directConvShapeArgs(g), g.dilationHeight, g.dilationWidth, g.padTop, g.padLeft, relu);
    return out;
  };
}

export const conv2dConfig: tf.KernelConfig = { kernelName: 'Conv2D', backendName: 'wasm', kernelFunc: conv('Conv2D') as unknown as tf.KernelFunc };
export const fusedConv2dConfig: tf.KernelConfig = { kernelName: 'FusedConv2D', backendName: 'wasm', kernelFunc: conv('FusedConv2D') as unknown as tf.KernelFunc };
