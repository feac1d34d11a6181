/**
 * Identity and same-dtype Cast for wasm that share the input's buffer (with a
 * reference count, as the cpu backend does) instead of copying it. tfjs calls
 * Identity to save every tensor a custom gradient keeps for its backward
 * pass (batch norm saves its whole input), so the copies were a full pass
 * over each activation per layer.
 */
import type * as tf from '@tensorflow/tfjs';
import { runShipped } from './shipped.js';

type Args = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap };

function share(x: tf.TensorInfo, backend: tf.KernelBackend): tf.TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

function identity(args: Args): tf.TensorInfo {
  const { x } = args.inputs;
  if (!x) throw new Error('Identity needs input x');
  return x.dtype === 'string' ? runShipped('Identity', args) : share(x, args.backend);
}

function cast(args: Args): tf.TensorInfo {
  const { x } = args.inputs;
  if (!x) throw new Error('Cast needs input x');
  return x.dtype === args.attrs.dtype && x.dtype !== 'string' ? share(x, args.backend) : runShipped('Cast', args);
}

export const identityConfig: tf.KernelConfig = { kernelName: 'Identity', backendName: 'wasm', kernelFunc: identity as unknown as tf.KernelFunc };
export const castConfig: tf.KernelConfig = { kernelName: 'Cast', backendName: 'wasm', kernelFunc: cast as unknown as tf.KernelFunc };
