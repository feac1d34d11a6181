/**
 * What w2s installs on the native backend: ReLU's gradient as one
 * libtensorflow op. Training-mode batch norm reaches libtensorflow's fused
 * kernels through batchNormTrain (../batch-norm-train.ts), which needs no
 * registration.
 */
import { registerNativeReluGradient } from './relu-gradient.js';

export function registerTensorflowKernels(): void {
  registerNativeReluGradient();
}
