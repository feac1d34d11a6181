/**
 * The kernels tfjs-backend-wasm registered under names w2s replaces, kept so
 * a replacement can hand the cases it does not cover (other dtypes, other
 * layouts) back to them, and so the replacements can be switched off.
 */
import type * as tf from '@tensorflow/tfjs';

const shipped = new Map<string, tf.KernelConfig | undefined>();

export function rememberShipped(name: string, config: tf.KernelConfig | undefined): void {
  if (!shipped.has(name)) shipped.set(name, config);
}

export function shippedKernel(name: string): tf.KernelConfig | undefined {
  return shipped.get(name);
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs: tf.NamedAttrMap };

/** Runs the shipped kernel `name` on the same arguments. */
export function runShipped(name: string, args: KernelArgs): tf.TensorInfo {
  const kernel = shipped.get(name);
  if (!kernel) throw new Error(`wasm kernel ${name}: no shipped kernel to fall back to for this input`);
  return kernel.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}
