/**
 * Gradient kernels the wasm backend does not ship, assembled from the fast
 * kernels it does ship (XNNPACK convolutions, transposes), so that training
 * runs at native wasm speed rather than through JavaScript loops.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';

const kernels: readonly tf.KernelConfig[] = [conv2dBackpropFilterConfig];

let registered = false;

export function registerWasmGradientKernels(): void {
  if (registered) return;
  for (const config of kernels) {
    if (!tf.getKernel(config.kernelName, 'wasm')) tf.registerKernel(config);
  }
  registered = true;
}
