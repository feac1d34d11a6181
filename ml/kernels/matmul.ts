/**
 * BatchMatMul and _FusedMatMul (bias, ReLU) for wasm on w2s_gemm. The shipped
 * kernels use XNNPACK only without transposes and fall back to a scalar loop
 * otherwise, which is what every dense layer's backward pass asks for. Other
 * activations and non-float32 inputs go to the shipped kernels.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeKernels } from './native/module.js';
import { runShipped } from './shipped.js';

type Args = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap };

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
}

function matMul(name: 'BatchMatMul' | '_FusedMatMul') {
  return (args: Args): tf.TensorInfo => {
    const { a, b, bias, preluActivationWeights } = args.inputs;
    if (!a || !b) throw new Error(`${name} needs inputs a and b`);
    const { transposeA, transposeB, activation = 'linear' } = args.attrs as unknown as MatMulAttrs;
    const batchA = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    const batchB = b.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    const m = transposeA ? a.shape.at(-1)! : a.shape.at(-2)!;
    const k = transposeA ? a.shape.at(-2)! : a.shape.at(-1)!;
    const n = transposeB ? b.shape.at(-2)! : b.shape.at(-1)!;
    const supported =
      a.dtype === 'float32' &&
      b.dtype === 'float32' &&
      (activation === 'linear' || activation === 'relu') &&
      !preluActivationWeights &&
      (!bias || (bias.dtype === 'float32' && bias.shape.length === 1 && bias.shape[0] === n)) &&
      (batchA === batchB || batchA === 1 || batchB === 1) &&
      m * n * k > 0;
    if (!supported) return runShipped(name, args);
    const batchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const native = nativeKernels(args.backend);
    const out = native.backend.makeOutput([...batchShape, m, n], 'float32');
    const k8 = native.exports;
    const scratch = native.scratch(k8.w2s_gemm_scratch!(m, n, k, transposeA ? 1 : 0));
    k8.w2s_gemm!(
      native.address(a),
      native.address(b),
      bias ? native.address(bias) : 0,
      native.address(out),
      scratch,
      Math.max(batchA, batchB),
      batchA,
      batchB,
      m,
      n,
      k,
      transposeA ? 1 : 0,
      transposeB ? 1 : 0,
      activation === 'relu' ? 1 : 0,
    );
    return out;
  };
}

export const batchMatMulConfig: tf.KernelConfig = { kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: matMul('BatchMatMul') as unknown as tf.KernelFunc };
export const fusedMatMulConfig: tf.KernelConfig = { kernelName: '_FusedMatMul', backendName: 'wasm', kernelFunc: matMul('_FusedMatMul') as unknown as tf.KernelFunc };
