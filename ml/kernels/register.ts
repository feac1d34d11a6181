/**
 * Kernels w2s registers for the wasm backend: the gradients tfjs-backend-wasm
 * lacks (so training runs at all), replacements for kernels it ships as
 * scalar loops, and for one it ships wrong (MaxPoolGrad). All run on the SIMD128 module in ./native, inside
 * the backend's memory. The kernels they replace are kept, so a run can
 * compare the two (`useNativeWasmKernels(false)`).
 */
import * as tf from '@tensorflow/tfjs';
import { conv2dConfig, fusedConv2dConfig } from './conv2d.js';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.js';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise-backprop.js';
import { fusedBatchNormConfig } from './batch-norm.js';
import { batchNormTrainConfig, batchNormTrainGradConfig, batchNormTrainGradient } from './batch-norm-train.js';
import { castConfig, identityConfig } from './identity.js';
import { batchMatMulConfig, fusedMatMulConfig } from './matmul.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { oneHotConfig } from './one-hot.js';
import { meanConfig, sumConfig } from './reduce.js';
import { rememberShipped, shippedKernel } from './shipped.js';

const NATIVE_KERNELS: readonly tf.KernelConfig[] = [
  conv2dConfig,
  fusedConv2dConfig,
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
  maxPoolGradConfig,
  batchMatMulConfig,
  fusedMatMulConfig,
  sumConfig,
  meanConfig,
  fusedBatchNormConfig,
  identityConfig,
  castConfig,
  batchNormTrainConfig,
  batchNormTrainGradConfig,
  oneHotConfig,
];

/** Names of the kernels w2s provides for wasm. */
export const NATIVE_KERNEL_NAMES: readonly string[] = NATIVE_KERNELS.map((k) => k.kernelName);

let nativeActive = false;

function setKernel(name: string, config: tf.KernelConfig | undefined): void {
  if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  if (config) tf.registerKernel(config);
}

/**
 * Installs (true) or removes (false) the w2s kernels. Without them, training
 * on wasm fails for want of gradient kernels; the switch exists to measure.
 */
export function useNativeWasmKernels(enabled: boolean): void {
  if (enabled === nativeActive) return;
  for (const config of NATIVE_KERNELS) {
    if (!nativeActive) rememberShipped(config.kernelName, tf.getKernel(config.kernelName, 'wasm'));
    setKernel(config.kernelName, enabled ? config : shippedKernel(config.kernelName));
  }
  nativeActive = enabled;
}

/**
 * Switches single w2s kernels back to the shipped ones (false) or on again
 * (true), for A/B measurements; unknown names are an error.
 */
export function setNativeWasmKernel(name: string, enabled: boolean): void {
  const config = NATIVE_KERNELS.find((k) => k.kernelName === name);
  if (!config) throw new Error(`no w2s wasm kernel named ${name}; known: ${NATIVE_KERNEL_NAMES.join(', ')}`);
  if (!nativeActive) throw new Error('w2s wasm kernels are not installed (initBackend("wasm") installs them)');
  setKernel(name, enabled ? config : shippedKernel(name));
}

let gradientsRegistered = false;

export function registerWasmKernels(): void {
  if (!gradientsRegistered) {
    tf.registerGradient(batchNormTrainGradient);
    gradientsRegistered = true;
  }
  useNativeWasmKernels(true);
}


