/**
 * OneHot for wasm that honours its dtype. The shipped kernel (tfjs 4.22)
 * allocates the requested dtype but always writes int32 bits, so a float32
 * one-hot reads back as denormals (1.4e-45 for 1). This builds it as int32 and
 * converts.
 */
import type * as tf from '@tensorflow/tfjs';
import { runShipped } from './shipped.js';

type Args = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap };

function oneHot(args: Args): tf.TensorInfo {
  const dtype = args.attrs.dtype as tf.DataType;
  if (dtype === 'int32') return runShipped('OneHot', args);
  const ints = runShipped('OneHot', { ...args, attrs: { ...args.attrs, dtype: 'int32' } });
  const out = runShipped('Cast', { inputs: { x: ints }, backend: args.backend, attrs: { dtype } });
  args.backend.disposeData(ints.dataId);
  return out;
}

export const oneHotConfig: tf.KernelConfig = { kernelName: 'OneHot', backendName: 'wasm', kernelFunc: oneHot as unknown as tf.KernelFunc };
