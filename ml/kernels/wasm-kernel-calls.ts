/**
 * Calls into kernels already registered for the wasm backend. Composite
 * kernels use these instead of tf ops: a kernel runs inside the engine, so
 * it must work on TensorInfos and free its intermediates itself.
 */
import * as tf from '@tensorflow/tfjs';

export type Attrs = tf.NamedAttrMap;

export function runWasmKernel(name: string, inputs: tf.NamedTensorInfoMap, attrs: Attrs, backend: tf.KernelBackend): tf.TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm kernel ${name} is not registered`);
  const out = kernel.kernelFunc({ inputs, attrs, backend });
  if (Array.isArray(out)) throw new Error(`wasm kernel ${name} returned several outputs`);
  return out as tf.TensorInfo;
}

export function transposeInfo(x: tf.TensorInfo, perm: number[], backend: tf.KernelBackend): tf.TensorInfo {
  return runWasmKernel('Transpose', { x }, { perm }, backend);
}

export function release(backend: tf.KernelBackend, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}
