/**
 * Conv2DBackpropFilter for wasm.
 *
 * The filter gradient is itself a convolution: dW[kh,kw,ci,co] =
 * sum_{b,oh,ow} x[b, oh*s+kh-pt, ow*s+kw-pl, ci] * dy[b,oh,ow,co].
 * Treating input channels as the batch and the batch as channels, that is a
 * stride-1 convolution of x (as [Ci,H,W,B]) with dy (as [OH,OW,B,Co]) whose
 * dilation is the forward stride. XNNPACK runs it as one packed GEMM.
 */
import * as tf from '@tensorflow/tfjs';
import { release, runWasmKernel, transposeInfo } from './wasm-kernel-calls.js';

interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

function conv2dBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as BackpropFilterAttrs;
  const x = inputs.x;
  const dy = inputs.dy;
  if (!x || !dy) throw new Error('Conv2DBackpropFilter needs inputs x and dy');
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');

  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  const { top, left } = info.padInfo;
  // Padding on the far side so that the dilated dy "filter" yields exactly kh x kw outputs.
  const bottom = kh + (oh - 1) * sh - info.inHeight - top;
  const right = kw + (ow - 1) * sw - info.inWidth - left;

  let source = x;
  const owned: tf.TensorInfo[] = [];
  if (bottom < 0 || right < 0) {
    // The forward pass never read the last rows/columns: crop them instead of padding negatively.
    const keepH = info.inHeight + Math.min(bottom, 0);
    const keepW = info.inWidth + Math.min(right, 0);
    source = runWasmKernel('Slice', { x }, { begin: [0, 0, 0, 0], size: [x.shape[0]!, keepH, keepW, x.shape[3]!] }, backend);
    owned.push(source);
  }
  const xT = transposeInfo(source, [3, 1, 2, 0], backend);
  const dyT = transposeInfo(dy, [1, 2, 0, 3], backend);
  owned.push(xT, dyT);
  const pad: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [top, Math.max(bottom, 0)],
    [left, Math.max(right, 0)],
    [0, 0],
  ];
  const grad = runWasmKernel(
    'Conv2D',
    { x: xT, filter: dyT },
    { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [sh, sw], dimRoundingMode: undefined } as unknown as tf.NamedAttrMap,
    backend,
  );
  owned.push(grad);
  const out = transposeInfo(grad, [1, 2, 0, 3], backend);
  release(backend, ...owned);
  return out;
}

export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: 'Conv2DBackpropFilter',
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc,
};
