/**
 * DepthwiseConv2dNativeBackpropFilter and ...BackpropInput for wasm, which
 * tfjs-backend-wasm does not ship (w2s_depthwise_backprop_*).
 */
import * as tf from '@tensorflow/tfjs';
import { requireFloat32, type PadAttr } from './conv-geometry.js';
import { nativeKernels, type NativeKernels } from './native/module.js';

interface DepthwiseGradAttrs {
  strides: [number, number] | number;
  pad: PadAttr;
  dilations?: [number, number] | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function geometry(xShape: readonly number[], filterShape: readonly number[], attrs: DepthwiseGradAttrs): number[] {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
  );
  return [
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    filterShape[3]!,
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
  ];
}

type Args = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap };

function run(native: NativeKernels, name: string, pointers: number[], dims: number[]): void {
  native.exports[name]!(...pointers, ...dims);
}

function depthwiseBackpropFilter(args: Args): tf.TensorInfo {
  const { x, dy } = args.inputs;
  if (!x || !dy) throw new Error('DepthwiseConv2dNativeBackpropFilter needs inputs x and dy');
  requireFloat32('DepthwiseConv2dNativeBackpropFilter', x, dy);
  const attrs = args.attrs as unknown as DepthwiseGradAttrs & { filterShape: [number, number, number, number] };
  const native = nativeKernels(args.backend);
  const out = native.backend.makeOutput([...attrs.filterShape], 'float32');
  run(native, 'w2s_depthwise_backprop_filter', [native.address(x), native.address(dy), native.address(out)], geometry(x.shape, attrs.filterShape, attrs));
  return out;
}

function depthwiseBackpropInput(args: Args): tf.TensorInfo {
  const { dy, filter } = args.inputs;
  if (!dy || !filter) throw new Error('DepthwiseConv2dNativeBackpropInput needs inputs dy and filter');
  requireFloat32('DepthwiseConv2dNativeBackpropInput', dy, filter);
  const attrs = args.attrs as unknown as DepthwiseGradAttrs & { inputShape: [number, number, number, number] };
  const native = nativeKernels(args.backend);
  const out = native.backend.makeOutput([...attrs.inputShape], 'float32');
  run(native, 'w2s_depthwise_backprop_input', [native.address(dy), native.address(filter), native.address(out)], geometry(attrs.inputShape, filter.shape, attrs));
  return out;
}

export const depthwiseBackpropFilterConfig: tf.KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropFilter',
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropFilter as unknown as tf.KernelFunc,
};

export const depthwiseBackpropInputConfig: tf.KernelConfig = {
  kernelName: 'DepthwiseConv2dNativeBackpropInput',
  backendName: 'wasm',
  kernelFunc: depthwiseBackpropInput as unknown as tf.KernelFunc,
};
