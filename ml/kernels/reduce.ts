/**
 * Sum and Mean for wasm over a contiguous run of axes that is not innermost
 * (batch-norm statistics over N,H,W; global average pooling over H,W), in one
 * pass with w2s_sum_axis1. The shipped kernels transpose the tensor so that
 * the reduced axes come last, then reduce; every other case goes to them.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeKernels } from './native/module.js';
import { runShipped } from './shipped.js';

type Args = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap };

interface Split {
  readonly outer: number;
  readonly rows: number;
  readonly cols: number;
  readonly outShape: number[];
}

/** [outer, rows, cols] when `axes` are contiguous and not innermost; undefined otherwise. */
export function splitAtAxes(shape: readonly number[], axisAttr: number | number[], keepDims: boolean): Split | undefined {
  const axes = [...new Set(tf.util.parseAxisParam(axisAttr, [...shape]))].sort((a, b) => a - b);
  if (axes.length === 0) return undefined;
  const first = axes[0]!;
  const last = axes.at(-1)!;
  if (last - first + 1 !== axes.length || last === shape.length - 1) return undefined;
  const product = (from: number, to: number) => shape.slice(from, to).reduce((a, b) => a * b, 1);
  const outShape = keepDims ? shape.map((d, i) => (i >= first && i <= last ? 1 : d)) : shape.filter((_, i) => i < first || i > last);
  return { outer: product(0, first), rows: product(first, last + 1), cols: product(last + 1, shape.length), outShape };
}

function reduction(name: 'Sum' | 'Mean') {
  return (args: Args): tf.TensorInfo => {
    const { x } = args.inputs;
    if (!x) throw new Error(`${name} needs input x`);
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const split = x.dtype === 'float32' ? splitAtAxes(x.shape, axis, keepDims) : undefined;
    if (!split || split.rows === 0 || split.outer * split.cols === 0) return runShipped(name, args);
    const native = nativeKernels(args.backend);
    const out = native.backend.makeOutput(split.outShape, 'float32');
    const scratch = native.scratch(2 * (split.cols + 4) * 4 + 64);
    const scale = name === 'Mean' ? 1 / split.rows : 1;
    native.exports.w2s_sum_axis1!(native.address(x), native.address(out), scratch, split.outer, split.rows, split.cols, scale);
    return out;
  };
}

export const sumConfig: tf.KernelConfig = { kernelName: 'Sum', backendName: 'wasm', kernelFunc: reduction('Sum') as unknown as tf.KernelFunc };
export const meanConfig: tf.KernelConfig = { kernelName: 'Mean', backendName: 'wasm', kernelFunc: reduction('Mean') as unknown as tf.KernelFunc };
